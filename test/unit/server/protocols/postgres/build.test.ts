import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dataRowOffsets,
  parseBackend,
} from '../../../../../src/server/protocols/postgres/protocol/backend.js';
import * as build from '../../../../../src/server/protocols/postgres/protocol/build.js';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import { Framer } from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import {
  parseFrontend,
  type ParseFrontendOptions,
} from '../../../../../src/server/protocols/postgres/protocol/frontend.js';

/** build → framer → parse; the framer must see exactly one whole message. */
function viaFramer(bytes: Buffer, startup = false) {
  const frames = new Framer({ startup }).push(bytes);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.end - frames[0]!.start, bytes.length);
  return frames[0]!;
}
const back = (bytes: Buffer) => parseBackend(viaFramer(bytes));
const front = (bytes: Buffer, options?: ParseFrontendOptions, startup = false) =>
  parseFrontend(viaFramer(bytes, startup), options);

describe('builders round-trip through framer and parsers', () => {
  it('to clients', () => {
    assert.deepEqual(back(build.buildAuthenticationOk()), { type: 'authenticationOk' });
    assert.deepEqual(back(build.buildAuthenticationCleartextPassword()), {
      type: 'authenticationCleartextPassword',
    });
    assert.deepEqual(back(build.buildParameterStatus('server_version', '17.0')), {
      type: 'parameterStatus',
      name: 'server_version',
      value: '17.0',
    });
    assert.deepEqual(back(build.buildBackendKeyData(4242, -7)), {
      type: 'backendKeyData',
      processId: 4242,
      secretKey: Buffer.from([0xff, 0xff, 0xff, 0xf9]),
    });
    assert.deepEqual(back(build.buildReadyForQuery('T')), { type: 'readyForQuery', status: 'T' });
    assert.deepEqual(back(build.buildEmptyQueryResponse()), { type: 'emptyQueryResponse' });
    assert.deepEqual(back(build.buildCommandComplete('SELECT 3')), {
      type: 'commandComplete',
      tag: 'SELECT 3',
    });
  });

  it('ErrorResponse and NoticeResponse', () => {
    const fields = {
      severity: 'ERROR',
      code: '42501',
      message: 'denied by rule no-drops',
      detail: 'policy hash abc',
      hint: 'ask a dba',
    };
    assert.deepEqual(back(build.buildErrorResponse(fields)), {
      type: 'errorResponse',
      fields: { ...fields, severityNonLocalized: 'ERROR' },
    });
    assert.deepEqual(back(build.buildNoticeResponse({ ...fields, severity: 'WARNING' })), {
      type: 'noticeResponse',
      fields: { ...fields, severity: 'WARNING', severityNonLocalized: 'WARNING' },
    });
    assert.throws(
      () => build.buildErrorResponse({ ...fields, code: 'bad' }),
      (err: unknown) => err instanceof PgProtocolError && err.code === 'PG_BAD_VALUE',
    );
    assert.throws(
      () => build.buildErrorResponse({ ...fields, message: 'a\0Cinjected' }),
      (err: unknown) => err instanceof PgProtocolError && err.code === 'PG_BAD_STRING',
    );
  });

  it('RowDescription and DataRow', () => {
    const fields = [
      {
        name: 'email',
        tableOid: 16390,
        columnAttr: 2,
        typeOid: 25,
        typeSize: -1,
        typeModifier: -1,
        format: 0,
      },
      {
        name: 'n',
        tableOid: 0,
        columnAttr: 0,
        typeOid: 23,
        typeSize: 4,
        typeModifier: -1,
        format: 1,
      },
    ];
    assert.deepEqual(back(build.buildRowDescription(fields)), { type: 'rowDescription', fields });
    assert.deepEqual(back(build.buildDataRow(['a***@x.io', null, Buffer.of(0, 0, 0, 1), ''])), {
      type: 'dataRow',
      values: [Buffer.from('a***@x.io'), null, Buffer.of(0, 0, 0, 1), Buffer.alloc(0)],
    });
    assert.deepEqual(back(build.buildDataRow(['ünïcødé'])), {
      type: 'dataRow',
      values: [Buffer.from('ünïcødé')],
    });
  });

  it('patchDataRow replaces some fields of a DataRow and copies the rest as they are', () => {
    const original = ['7', null, 'jane@example.com', '', 'ünïcødé'];
    // The frame sits inside a larger chunk, as the framer hands it out.
    const chunk = Buffer.concat([
      Buffer.from('xyz'),
      build.buildDataRow(original),
      Buffer.from('!'),
    ]);
    const frame = new Framer().push(chunk.subarray(3, chunk.length - 1))[0]!;
    const offsets = new Int32Array(10);
    dataRowOffsets(frame, offsets);
    const patch = (indices: number[], values: (string | null)[]) =>
      back(
        build.patchDataRow(
          frame,
          offsets,
          indices,
          values.map((v) => (v === null ? null : Buffer.from(v))),
          indices.length,
        ),
      );
    const expect = (values: (string | null)[]) => ({
      type: 'dataRow',
      values: values.map((v) => (v === null ? null : Buffer.from(v))),
    });
    assert.deepEqual(patch([], []), expect(original));
    assert.deepEqual(
      patch([2], ['j***@example.com']),
      expect(['7', null, 'j***@example.com', '', 'ünïcødé']),
    );
    assert.deepEqual(
      patch([0, 2, 3, 4], [null, 'j***', 'longer than before', '']),
      expect([null, null, 'j***', 'longer than before', '']),
    );
    // Only the first `changed` entries count.
    assert.deepEqual(
      back(build.patchDataRow(frame, offsets, [4, 0], [Buffer.from('é'), null], 1)),
      expect(['7', null, 'jane@example.com', '', 'é']),
    );
    assert.throws(() => patch([2, 0], ['a', 'b']), RangeError);
    assert.throws(() => patch([1], ['a']), RangeError, 'a NULL field has no bytes to replace');
  });

  it('the one-byte answer to SSLRequest', () => {
    assert.deepEqual(build.buildEncryptionResponse(), Buffer.from('N'));
  });

  it('to targets', () => {
    assert.deepEqual(
      front(build.buildStartupMessage({ user: 'app', database: 'db' }), undefined, true),
      {
        type: 'startup',
        majorVersion: 3,
        minorVersion: 0,
        parameters: new Map([
          ['user', 'app'],
          ['database', 'db'],
        ]),
      },
    );
    assert.deepEqual(front(build.buildSSLRequest(), undefined, true), { type: 'sslRequest' });
    const cancel = front(build.buildCancelRequest(99, 12345), undefined, true);
    assert.deepEqual(cancel, {
      type: 'cancelRequest',
      processId: 99,
      secretKey: Buffer.from([0, 0, 0x30, 0x39]),
    });
    assert.deepEqual(front(build.buildPasswordMessage('pw')), { type: 'password', password: 'pw' });
    assert.deepEqual(
      front(build.buildSASLInitialResponse('SCRAM-SHA-256', 'n,,n=,r=abc'), {
        passwordContext: 'saslInitial',
      }),
      { type: 'saslInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from('n,,n=,r=abc') },
    );
    assert.deepEqual(front(build.buildSASLResponse('c=biws'), { passwordContext: 'sasl' }), {
      type: 'saslResponse',
      data: Buffer.from('c=biws'),
    });
    assert.deepEqual(front(build.buildQuery('select 1')), { type: 'query', sql: 'select 1' });
    assert.deepEqual(front(build.buildSync()), { type: 'sync' });
    assert.deepEqual(front(build.buildTerminate()), { type: 'terminate' });
  });
});
