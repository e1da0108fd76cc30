import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ColumnType,
  Framer,
  MysqlProtocolError,
  parseAuthSwitchRequest,
  parseBinaryRow,
  parseColumnDefinition,
  parseCommand,
  parseEof,
  parseErr,
  parseHandshakeResponse,
  parseHandshakeV10,
  parseOk,
  parsePrepareOk,
  parseTextRow,
  Capability,
} from '../../../../../src/server/protocols/mysql/protocol/index.js';

/** A decoder either returns or throws a MysqlProtocolError: never a RangeError, never a hang. */
function onlyProtocolErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof MysqlProtocolError, `unexpected ${String(error)}`);
  }
}

const TYPES = Object.values(ColumnType);
const runs = Number(process.env.HOOP_FUZZ_RUNS ?? 2000);

describe('MySQL decoders under random bytes', () => {
  it('every payload decoder fails only with a protocol error', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.constantFrom(...TYPES), { maxLength: 12 }),
        (bytes, types) => {
          const payload = Buffer.from(bytes);
          onlyProtocolErrors(() => parseHandshakeV10(payload));
          onlyProtocolErrors(() => parseHandshakeResponse(payload));
          onlyProtocolErrors(() => parseAuthSwitchRequest(payload));
          onlyProtocolErrors(() => parseOk(payload, 0));
          onlyProtocolErrors(() => parseOk(payload, Capability.SESSION_TRACK));
          onlyProtocolErrors(() => parseErr(payload));
          onlyProtocolErrors(() => parseEof(payload));
          onlyProtocolErrors(() => parseColumnDefinition(payload));
          onlyProtocolErrors(() => parseTextRow(payload, types.length));
          onlyProtocolErrors(() => parseBinaryRow(payload, types));
          onlyProtocolErrors(() => parseCommand(payload));
          onlyProtocolErrors(() => parsePrepareOk(payload));
        },
      ),
      { numRuns: runs },
    );
  });

  it('the framer cuts any stream the same whatever its chunks, or refuses it the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400)), (bytes, cuts) => {
        const stream = Buffer.from(bytes);
        const frame = (chunks: Buffer[]) => {
          const framer = new Framer({ maxPacketBytes: 1000 });
          try {
            return chunks.flatMap((c) => framer.push(c)).map((p) => p.bytes.toString('hex'));
          } catch (error) {
            assert.ok(error instanceof MysqlProtocolError);
            return error.code;
          }
        };
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(stream.subarray(at, p));
          at = p;
        }
        chunks.push(stream.subarray(at));
        assert.deepEqual(frame(chunks), frame([stream]));
      }),
      { numRuns: runs },
    );
  });
});
