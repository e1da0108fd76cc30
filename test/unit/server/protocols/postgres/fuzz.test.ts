/**
 * Bounded fuzzing: for about two seconds, random and mutated valid messages
 * go through the framer (random chunking, both modes) and every parser. Each
 * must return a value or throw PgProtocolError, never anything else; the
 * framer must never hold more than its limit.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  dataRowField,
  dataRowOffsets,
  parseBackend,
} from '../../../../../src/server/protocols/postgres/protocol/backend.js';
import * as build from '../../../../../src/server/protocols/postgres/protocol/build.js';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import {
  Framer,
  type Frame,
} from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import { parseFrontend } from '../../../../../src/server/protocols/postgres/protocol/frontend.js';
import { ScramClient } from '../../../../../src/server/protocols/postgres/protocol/scram.js';
import { byte, cstr, i16, i32, typed, untyped } from './bytes.js';

const DURATION_MS = Number(process.env.FUZZ_MS ?? 2000);
const MAX_MESSAGE_BYTES = 64 * 1024;

/** xorshift32, seeded so that a failure can be replayed with FUZZ_SEED. */
function rng(seed: number) {
  let s = seed || 1;
  return (n: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const SAMPLES: Buffer[] = [
  build.buildAuthenticationOk(),
  build.buildParameterStatus('client_encoding', 'UTF8'),
  build.buildBackendKeyData(1, 2),
  build.buildReadyForQuery('I'),
  build.buildErrorResponse({ severity: 'ERROR', code: '42501', message: 'no', hint: 'h' }),
  build.buildRowDescription([
    {
      name: 'a',
      tableOid: 1,
      columnAttr: 1,
      typeOid: 25,
      typeSize: -1,
      typeModifier: -1,
      format: 0,
    },
  ]),
  build.buildDataRow(['x', null, 'yz']),
  build.buildCommandComplete('SELECT 1'),
  build.buildQuery('select 1'),
  build.buildPasswordMessage('pw'),
  build.buildSASLInitialResponse('SCRAM-SHA-256', 'n,,n=,r=abc'),
  typed('R', i32(10), cstr('SCRAM-SHA-256'), Buffer.of(0)),
  typed('R', i32(5), Buffer.of(1, 2, 3, 4)),
  typed('P', cstr('s'), cstr('select $1'), i16(1), i32(23)),
  typed('B', cstr(''), cstr('s'), i16(1), i16(0), i16(1), i32(1), Buffer.from('7'), i16(0)),
  typed('D', byte('S'), cstr('s')),
  typed('E', cstr(''), i32(0)),
  typed('F', i32(1), i16(0), i16(1), i32(-1), i16(0)),
  typed('t', i16(1), i32(23)),
  typed('G', Buffer.of(0), i16(1), i16(0)),
  typed('A', i32(1), cstr('c'), cstr('p')),
  typed('v', i32(0), i32(1), cstr('_pq_.x')),
  typed('V', i32(2), Buffer.from('ok')),
  typed('S'),
];
const STARTUP_SAMPLES: Buffer[] = [
  build.buildSSLRequest(),
  untyped(i32(80877104)),
  build.buildStartupMessage({ user: 'u', database: 'd' }),
  build.buildCancelRequest(1, 2),
];

function mutate(next: (n: number) => number, input: Buffer): Buffer {
  const b = Buffer.from(input);
  switch (next(6)) {
    case 0: // flip a few bytes
      for (let k = 0, n = 1 + next(4); k < n && b.length; k++) b[next(b.length)] = next(256);
      return b;
    case 1: // truncate the body but keep the header
      return b.subarray(0, Math.max(5, next(b.length + 1)));
    case 2: // rewrite a length or count field somewhere with an extreme value
      if (b.length >= 4) {
        const at = next(b.length - 3);
        b.writeInt32BE([-1, -2, 0, 1, 0x7fffffff, -0x80000000, next(1 << 20)][next(7)]!, at);
      }
      return b;
    case 3: // append garbage inside the message, fixing the length so it still frames
      return refit(Buffer.concat([b, randomBytes(next, next(16))]));
    case 4: // pure noise
      return randomBytes(next, next(64));
    default: // mutate a byte then refit the length
      if (b.length > 5) b[5 + next(b.length - 5)] = next(256);
      return refit(b);
  }
}

function refit(b: Buffer): Buffer {
  if (b.length >= 5) b.writeInt32BE(b.length - 1, 1);
  return b;
}

function randomBytes(next: (n: number) => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next(256);
  return b;
}

/** Runs every decoder on a frame; anything but PgProtocolError escapes. */
function decodeAll(frame: Frame, out: Int32Array) {
  const attempts: (() => unknown)[] = [
    () => parseBackend(frame),
    () => parseFrontend(frame),
    () => parseFrontend(frame, { passwordContext: 'saslInitial' }),
    () => parseFrontend(frame, { passwordContext: 'sasl' }),
    () => {
      const n = dataRowOffsets(frame, out);
      if (n > 0) dataRowField(frame, n - 1);
    },
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (err) {
      if (!(err instanceof PgProtocolError)) throw err;
    }
  }
}

describe('fuzz', () => {
  it('framer and parsers return or throw PgProtocolError, nothing else', () => {
    const seed = Number(process.env.FUZZ_SEED ?? randomInt(1, 2 ** 31));
    const next = rng(seed);
    const out = new Int32Array(2 * 32768);
    const deadline = Date.now() + DURATION_MS;
    const heapBefore = process.memoryUsage().heapUsed;
    let rounds = 0;
    let frames = 0;
    let refused = 0;
    try {
      while (Date.now() < deadline) {
        rounds++;
        const startup = next(4) === 0;
        const parts: Buffer[] = [];
        if (startup) parts.push(STARTUP_SAMPLES[next(STARTUP_SAMPLES.length)]!);
        for (let k = 0, n = 1 + next(6); k < n; k++) {
          const sample = SAMPLES[next(SAMPLES.length)]!;
          parts.push(next(3) === 0 ? sample : mutate(next, sample));
        }
        if (startup && next(2) === 0) parts[0] = mutate(next, parts[0]!);
        const stream = Buffer.concat(parts);
        const framer = new Framer({ startup, maxMessageBytes: MAX_MESSAGE_BYTES });
        try {
          for (let pos = 0; pos < stream.length;) {
            const size = 1 + next(Math.min(64, stream.length - pos));
            for (const frame of framer.push(stream.subarray(pos, pos + size))) {
              frames++;
              decodeAll(frame, out);
            }
            pos += size;
            assert.ok(framer.bufferedBytes <= MAX_MESSAGE_BYTES);
          }
        } catch (err) {
          if (!(err instanceof PgProtocolError)) throw err;
          refused++;
        }
        if (next(8) === 0) fuzzScram(next);
      }
    } catch (err) {
      throw new Error(`fuzz failed with FUZZ_SEED=${seed} after ${rounds} rounds`, { cause: err });
    }
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(rounds > 1000, `only ${rounds} rounds`);
    assert.ok(frames > 0 && refused > 0);
    assert.ok(grownMiB < 256, `heap grew by ${grownMiB.toFixed(0)} MiB`);
  });
});

const SERVER_FIRST = 'r=NONCEsrv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

function fuzzScram(next: (n: number) => number) {
  const scram = new ScramClient({ password: 'pw', nonce: 'NONCE' });
  try {
    scram.clientFirstMessage();
    const first = next(2) ? mutate(next, Buffer.from(SERVER_FIRST)) : Buffer.from(SERVER_FIRST);
    scram.clientFinalMessage(first);
    scram.verifyServerFinal(randomBytes(next, next(50)));
  } catch (err) {
    if (!(err instanceof PgProtocolError)) throw err;
  }
}
