import { createHash } from 'node:crypto';

/**
 * Ed25519 signing over a given 64-byte expanded secret `h = SHA-512(secret)`
 * (RFC 8032 §5.1.6 with an arbitrary-length secret in place of the 32-byte
 * seed), which MariaDB's client_ed25519 uses with the password as the
 * secret. Plain BigInt arithmetic: it runs once per login.
 */

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = mod(-121665n * inverse(121666n));
const GX = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
const GY = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;

/** A point in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z. */
type Point = [bigint, bigint, bigint, bigint];

const BASE: Point = [GX, GY, 1n, mod(GX * GY)];
const ZERO: Point = [0n, 1n, 1n, 0n];

function mod(a: bigint, m = P): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
    e >>= 1n;
  }
  return result;
}

function inverse(a: bigint): bigint {
  return power(a, P - 2n);
}

/** Point addition on the twisted Edwards curve (add-2008-hwcd-3). */
function add(p: Point, q: Point): Point {
  const [x1, y1, z1, t1] = p;
  const [x2, y2, z2, t2] = q;
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(scalar: bigint, point: Point): Point {
  let result = ZERO;
  let addend = point;
  let s = scalar;
  while (s > 0n) {
    if (s & 1n) result = add(result, addend);
    addend = add(addend, addend);
    s >>= 1n;
  }
  return result;
}

function encode(point: Point): Buffer {
  const [x, y, z] = point;
  const zi = inverse(z);
  const ax = mod(x * zi);
  const ay = mod(y * zi);
  const out = toLittleEndian(ay, 32);
  if (ax & 1n) out[31]! |= 0x80;
  return out;
}

function toLittleEndian(n: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let v = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function sha512(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The 64-byte signature R ‖ S of `message` under the key expanded from `secret`. */
export function ed25519Sign(secret: Uint8Array, message: Uint8Array): Buffer {
  const h = sha512(secret);
  const scalarBytes = Buffer.from(h.subarray(0, 32));
  scalarBytes[0]! &= 248;
  scalarBytes[31]! &= 63;
  scalarBytes[31]! |= 64;
  const a = fromLittleEndian(scalarBytes);
  const publicKey = encode(multiply(a, BASE));
  const r = mod(fromLittleEndian(sha512(h.subarray(32), message)), L);
  const R = encode(multiply(r, BASE));
  const k = mod(fromLittleEndian(sha512(R, publicKey, message)), L);
  const s = mod(r + k * a, L);
  return Buffer.concat([R, toLittleEndian(s, 32)]);
}
