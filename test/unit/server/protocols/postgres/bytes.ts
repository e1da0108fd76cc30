/**
 * Hand-made wire bytes for tests, built without the codec's Writer so that the
 * parsers are checked against the spec, not against our own encoder.
 */
export const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
export const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
export const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.of(0)]);
export const byte = (c: string | number): Buffer =>
  Buffer.of(typeof c === 'number' ? c : c.charCodeAt(0));

/** Byte1(code), Int32 length (counting itself), body. */
export function typed(code: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([byte(code), i32(payload.length + 4), payload]);
}

/** Int32 length (counting itself), body: a start-up packet. */
export function untyped(...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([i32(payload.length + 4), payload]);
}
