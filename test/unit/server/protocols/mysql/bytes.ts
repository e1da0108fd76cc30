/**
 * Hand-made MySQL wire bytes for tests, built without the codec's Writer so
 * that the parsers are checked against the spec, not against our encoder.
 */
export const u8 = (n: number): Buffer => Buffer.of(n);
export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
export const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.of(0)]);
/** A string<lenenc> under 251 bytes. */
export const lstr = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (b.length >= 0xfb) throw new RangeError('lstr: short strings only');
  return Buffer.concat([Buffer.of(b.length), b]);
};

/** int<3> length, int<1> sequence id, payload. */
export function packet(sequenceId: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(4);
  header.writeUIntLE(body.length, 0, 3);
  header[3] = sequenceId;
  return Buffer.concat([header, body]);
}
