import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  constants,
  sign,
} from 'node:crypto';
import { describe, it } from 'node:test';
import {
  cachingSha2Password,
  ed25519Password,
  nativePassword,
  rsaEncryptedPassword,
} from '../../../../../src/server/protocols/mysql/protocol/index.js';

const sha = (alg: string, ...parts: Buffer[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i % b.length]!));
const SCRAMBLE = Buffer.from('0123456789abcdefghij');

describe('MySQL authentication answers', () => {
  it('mysql_native_password: the server recovers SHA1(password) and checks its stored hash', () => {
    const answer = nativePassword('s3cret', SCRAMBLE);
    const stored = sha('sha1', sha('sha1', Buffer.from('s3cret')));
    const stage1 = xor(answer, sha('sha1', SCRAMBLE, stored));
    assert.ok(sha('sha1', stage1).equals(stored));
    assert.equal(nativePassword('', SCRAMBLE).length, 0);
  });

  it('caching_sha2_password: the server recovers SHA256(password) and checks its cached hash', () => {
    const answer = cachingSha2Password('s3cret', SCRAMBLE);
    const cached = sha('sha256', sha('sha256', Buffer.from('s3cret')));
    const stage1 = xor(answer, sha('sha256', cached, SCRAMBLE));
    assert.ok(sha('sha256', stage1).equals(cached));
  });

  it('RSA full authentication: the server decrypts the password XOR the scramble', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const encrypted = rsaEncryptedPassword('s3cret', SCRAMBLE, pem);
    const plain = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING },
      encrypted,
    );
    assert.equal(xor(plain, SCRAMBLE).toString(), 's3cret\0');
  });

  it('client_ed25519 signs as RFC 8032 does for a 32-byte secret (Node crypto agrees)', () => {
    // The password is a UTF-8 string: an ASCII 32-byte one is also a valid RFC 8032 seed.
    const ascii = Buffer.from('abcdefghijklmnopqrstuvwxyz012345');
    const asciiKey = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), ascii]),
      format: 'der',
      type: 'pkcs8',
    });
    assert.ok(ed25519Password(ascii.toString(), SCRAMBLE).equals(sign(null, SCRAMBLE, asciiKey)));
  });
});
