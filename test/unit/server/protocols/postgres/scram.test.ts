import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import {
  md5Password,
  ScramClient,
} from '../../../../../src/server/protocols/postgres/protocol/scram.js';

// RFC 7677 §3: SCRAM-SHA-256 test vector.
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST =
  'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const isCode = (expected: string) => (err: unknown) =>
  err instanceof PgProtocolError && err.code === expected;

const rfcClient = () => new ScramClient({ user: 'user', password: 'pencil', nonce: CLIENT_NONCE });

describe('ScramClient', () => {
  it('reproduces the RFC 7677 exchange exactly', () => {
    const scram = rfcClient();
    assert.equal(scram.clientFirstMessage(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    assert.equal(scram.clientFinalMessage(Buffer.from(SERVER_FIRST)), CLIENT_FINAL);
    scram.verifyServerFinal(SERVER_FINAL);
    assert.equal(scram.done, true);
  });

  it('refuses a wrong server signature', () => {
    const scram = rfcClient();
    scram.clientFirstMessage();
    scram.clientFinalMessage(SERVER_FIRST);
    assert.throws(
      () => scram.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='),
      isCode('PG_SCRAM_BAD_SIGNATURE'),
    );
    assert.equal(scram.done, false);
  });

  it('reports a server error attribute', () => {
    const scram = rfcClient();
    scram.clientFirstMessage();
    scram.clientFinalMessage(SERVER_FIRST);
    assert.throws(
      () => scram.verifyServerFinal('e=invalid-proof'),
      isCode('PG_SCRAM_SERVER_ERROR'),
    );
  });

  it('checks the server-first message', () => {
    const reject = (serverFirst: string, code: string) => {
      const scram = rfcClient();
      scram.clientFirstMessage();
      assert.throws(() => scram.clientFinalMessage(serverFirst), isCode(code), serverFirst);
    };
    reject('r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', 'PG_SCRAM_BAD_MESSAGE');
    reject(`r=${CLIENT_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, 'PG_SCRAM_BAD_MESSAGE');
    reject(`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095`, 'PG_SCRAM_ITERATIONS');
    reject(`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999`, 'PG_SCRAM_ITERATIONS');
    reject(`r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1`, 'PG_SCRAM_BAD_MESSAGE');
    reject(`r=${CLIENT_NONCE}x,s=not base64!,i=4096`, 'PG_SCRAM_BAD_MESSAGE');
    reject(`r=${CLIENT_NONCE}x,s=,i=4096`, 'PG_SCRAM_BAD_MESSAGE');
    reject(`r=${CLIENT_NONCE}x,i=4096`, 'PG_SCRAM_BAD_MESSAGE');
    reject(`m=ext,r=${CLIENT_NONCE}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, 'PG_SCRAM_BAD_MESSAGE');
    reject('garbage', 'PG_SCRAM_BAD_MESSAGE');
  });

  it('refuses steps out of order', () => {
    const scram = rfcClient();
    assert.throws(() => scram.clientFinalMessage(SERVER_FIRST), isCode('PG_SCRAM_STATE'));
    assert.throws(() => scram.verifyServerFinal(SERVER_FINAL), isCode('PG_SCRAM_STATE'));
    scram.clientFirstMessage();
    assert.throws(() => scram.clientFirstMessage(), isCode('PG_SCRAM_STATE'));
  });

  it('makes a random printable nonce by default and an empty user as libpq does', () => {
    const first = new ScramClient({ password: 'x' }).clientFirstMessage();
    assert.match(first, /^n,,n=,r=[A-Za-z0-9+/=]{24}$/);
  });
});

describe('md5Password', () => {
  it("is 'md5' + md5(md5(password + user) + salt)", () => {
    const salt = Buffer.from([0x01, 0x02, 0x03, 0x04]);
    const hashed = md5Password('alice', 'secret', salt);
    // Computed independently with Python's hashlib.
    assert.equal(hashed, 'md598a0412b9c31436fc53776e863350083');
    assert.equal(hashed, md5Password('alice', 'secret', new Uint8Array([1, 2, 3, 4])));
    assert.notEqual(hashed, md5Password('alice', 'secret', Buffer.from([4, 3, 2, 1])));
  });
});
