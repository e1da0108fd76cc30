import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Capability,
  ColumnType,
  Command,
  MysqlProtocolError,
  Status,
  buildBinaryRow,
  buildColumnDefinition,
  buildEof,
  buildErr,
  buildHandshakeResponse,
  buildHandshakeV10,
  buildOk,
  buildPrepareOk,
  buildTextRow,
  isEof,
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
  Framer,
} from '../../../../../src/server/protocols/mysql/protocol/index.js';
import { cstr, lstr, packet, u16, u32, u8 } from './bytes.js';

const payloadOf = (bytes: Buffer) => {
  const [p] = new Framer().push(bytes);
  return p!.payload;
};
const isCode = (code: string) => (e: unknown) => e instanceof MysqlProtocolError && e.code === code;

/** A MariaDB 10.11 greeting as the server sends it (LONG_PASSWORD cleared, extended capabilities set). */
const MARIADB_CAPS =
  (Capability.FOUND_ROWS |
    Capability.LONG_FLAG |
    Capability.CONNECT_WITH_DB |
    Capability.PROTOCOL_41 |
    Capability.SECURE_CONNECTION |
    Capability.PLUGIN_AUTH |
    Capability.MULTI_RESULTS |
    Capability.DEPRECATE_EOF |
    Capability.SESSION_TRACK) >>>
  0;
const GREETING = Buffer.concat([
  u8(10),
  cstr('5.5.5-10.11.19-MariaDB-0+deb12u1'),
  u32(42),
  Buffer.from('abcdefgh'),
  u8(0),
  u16(MARIADB_CAPS & 0xffff),
  u8(45),
  u16(Status.AUTOCOMMIT),
  u16(MARIADB_CAPS >>> 16),
  u8(21),
  Buffer.alloc(6),
  u32(0x1d),
  Buffer.from('ijklmnopqrst'),
  u8(0),
  cstr('mysql_native_password'),
]);

describe('MySQL handshake codec', () => {
  it('reads a MariaDB greeting, scramble parts joined and extended capabilities kept', () => {
    const h = parseHandshakeV10(GREETING);
    assert.equal(h.serverVersion, '5.5.5-10.11.19-MariaDB-0+deb12u1');
    assert.equal(h.connectionId, 42);
    assert.equal(h.authData.toString(), 'abcdefghijklmnopqrst');
    assert.equal(h.capabilities, MARIADB_CAPS);
    assert.equal(h.characterSet, 45);
    assert.equal(h.mariadbCapabilities, 0x1d);
    assert.equal(h.authPlugin, 'mysql_native_password');
  });

  it('writes a greeting it reads back the same', () => {
    const h = parseHandshakeV10(GREETING);
    assert.deepEqual(parseHandshakeV10(payloadOf(buildHandshakeV10(h))), h);
  });

  it('refuses a greeting of another protocol version or cut short', () => {
    assert.throws(
      () => parseHandshakeV10(Buffer.concat([u8(9), GREETING.subarray(1)])),
      isCode('MYSQL_UNSUPPORTED'),
    );
    for (const at of [1, 10, 40, 50]) {
      assert.throws(() => parseHandshakeV10(GREETING.subarray(0, at)), isCode('MYSQL_TRUNCATED'));
    }
  });

  const CLIENT_CAPS =
    (Capability.PROTOCOL_41 |
      Capability.SECURE_CONNECTION |
      Capability.PLUGIN_AUTH |
      Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA |
      Capability.CONNECT_WITH_DB |
      Capability.CONNECT_ATTRS) >>>
    0;
  const RESPONSE = Buffer.concat([
    u32(CLIENT_CAPS),
    u32(16 * 1024 * 1024),
    u8(45),
    Buffer.alloc(19),
    u32(0),
    cstr('alice'),
    lstr(Buffer.alloc(20, 9)),
    cstr('app'),
    cstr('mysql_native_password'),
    lstr(Buffer.concat([lstr('_client_name'), lstr('libmariadb')])),
  ]);

  it('reads a HandshakeResponse41 with every optional part', () => {
    const r = parseHandshakeResponse(RESPONSE);
    assert.equal(r.ssl, false);
    assert.equal(r.user, 'alice');
    assert.equal(r.authResponse.length, 20);
    assert.equal(r.database, 'app');
    assert.equal(r.authPlugin, 'mysql_native_password');
    assert.deepEqual([...r.attributes], [['_client_name', 'libmariadb']]);
    assert.deepEqual(parseHandshakeResponse(payloadOf(buildHandshakeResponse(r))), r);
  });

  it('reads the 32-byte SSLRequest as a request for TLS', () => {
    const ssl = Buffer.concat([
      u32(CLIENT_CAPS | Capability.SSL),
      u32(0),
      u8(45),
      Buffer.alloc(23),
    ]);
    assert.equal(parseHandshakeResponse(ssl).ssl, true);
  });

  it('refuses a pre-4.1 client and a response cut inside its fields', () => {
    assert.throws(
      () => parseHandshakeResponse(Buffer.concat([u32(0), RESPONSE.subarray(4)])),
      isCode('MYSQL_UNSUPPORTED'),
    );
    assert.throws(
      () => parseHandshakeResponse(RESPONSE.subarray(0, 20)),
      isCode('MYSQL_TRUNCATED'),
    );
    assert.throws(
      () => parseHandshakeResponse(RESPONSE.subarray(0, 36)),
      isCode('MYSQL_TRUNCATED'),
    );
  });

  it('reads an AuthSwitchRequest without the scramble NUL', () => {
    const s = parseAuthSwitchRequest(
      Buffer.concat([u8(0xfe), cstr('client_ed25519'), Buffer.alloc(32, 3), u8(0)]),
    );
    assert.equal(s.authPlugin, 'client_ed25519');
    assert.equal(s.authData.length, 32);
  });
});

describe('MySQL response codec', () => {
  it('reads an OK with session-state changes (SESSION_TRACK)', () => {
    const state = Buffer.concat([
      u8(0),
      lstr(Buffer.concat([lstr('sql_mode'), lstr('ANSI_QUOTES')])),
      u8(1),
      lstr(lstr('other')),
    ]);
    const ok = parseOk(
      Buffer.concat([
        u8(0),
        u8(3),
        u8(0),
        u16(Status.AUTOCOMMIT | Status.SESSION_STATE_CHANGED),
        u16(1),
        lstr(''),
        lstr(state),
      ]),
      Capability.SESSION_TRACK,
    );
    assert.equal(ok.affectedRows, 3);
    assert.equal(ok.warnings, 1);
    assert.equal(ok.variables.get('sql_mode'), 'ANSI_QUOTES');
    assert.equal(ok.schema, 'other');
  });

  it('reads an OK without SESSION_TRACK, info to the end', () => {
    const ok = parseOk(
      Buffer.concat([
        u8(0),
        u8(0xfc),
        u16(300),
        u8(7),
        u16(2),
        u16(0),
        Buffer.from('Rows matched: 1'),
      ]),
      0,
    );
    assert.equal(ok.affectedRows, 300);
    assert.equal(ok.lastInsertId, 7);
    assert.equal(ok.info, 'Rows matched: 1');
  });

  it('writes OK, ERR and EOF packets it reads back', () => {
    for (const caps of [0, Capability.SESSION_TRACK]) {
      const ok = parseOk(
        payloadOf(buildOk({ affectedRows: 70000, status: 2, warnings: 1, info: 'hi' }, 1, caps)),
        caps,
      );
      assert.deepEqual([ok.affectedRows, ok.status, ok.warnings, ok.info], [70000, 2, 1, 'hi']);
    }
    const err = { errno: 1142, sqlState: '42000', message: 'hoop: denied by rule no-drops' };
    assert.deepEqual(parseErr(payloadOf(buildErr(err, 1))), err);
    const eofPayload = payloadOf(buildEof({ warnings: 0, status: 34 }, 3));
    assert.ok(isEof(eofPayload));
    assert.deepEqual(parseEof(eofPayload), { warnings: 0, status: 34 });
    assert.equal(
      isEof(Buffer.concat([u8(0xfe), Buffer.alloc(9)])),
      false,
      'a long 0xfe packet is not EOF',
    );
  });

  it('reads an ERR without a SQLSTATE marker', () => {
    assert.deepEqual(parseErr(Buffer.concat([u8(0xff), u16(1045), Buffer.from('denied')])), {
      errno: 1045,
      sqlState: 'HY000',
      message: 'denied',
    });
  });

  it('reads and writes a column definition, origin kept', () => {
    const column = {
      catalog: 'def',
      schema: 'app',
      table: 'c',
      orgTable: 'customers',
      name: 'mail',
      orgName: 'email',
      characterSet: 45,
      columnLength: 1020,
      type: ColumnType.VAR_STRING,
      flags: 0,
      decimals: 0,
    };
    const bytes = buildColumnDefinition(column, 2);
    assert.deepEqual(parseColumnDefinition(payloadOf(bytes)), column);
    // The field list form carries a default value after the fixed fields.
    const withDefault = Buffer.concat([payloadOf(bytes), lstr('x')]);
    assert.deepEqual(parseColumnDefinition(withDefault), column);
  });

  it('reads text rows with NULLs and refuses trailing or missing cells', () => {
    const row = Buffer.concat([lstr('ann'), u8(0xfb), lstr('')]);
    const cells = parseTextRow(row, 3);
    assert.deepEqual(
      cells.map((c) => c?.toString() ?? null),
      ['ann', null, ''],
    );
    assert.ok(payloadOf(buildTextRow(cells, 4)).equals(row));
    assert.throws(() => parseTextRow(row, 2), isCode('MYSQL_BAD_VALUE'));
    assert.throws(() => parseTextRow(row, 4), isCode('MYSQL_TRUNCATED'));
  });

  it('reads binary rows by column type, NULL bitmap offset by two bits', () => {
    const types = [
      ColumnType.LONG,
      ColumnType.VAR_STRING,
      ColumnType.DATETIME,
      ColumnType.DOUBLE,
      ColumnType.TINY,
    ];
    // Column 4 (DOUBLE) is NULL: bit 3 + 2 = 5.
    const row = Buffer.concat([
      u8(0),
      Buffer.of(1 << 5),
      u32(7),
      lstr('a@b.c'),
      Buffer.of(4, 0xe8, 0x07, 1, 2),
      u8(9),
    ]);
    const cells = parseBinaryRow(row, types);
    assert.equal(cells[0]!.readUInt32LE(), 7);
    assert.equal(cells[1]!.toString(), 'a@b.c');
    assert.equal(cells[2]!.length, 5, 'a date keeps its length byte');
    assert.equal(cells[3], null);
    assert.equal(cells[4]![0], 9);
    assert.ok(payloadOf(buildBinaryRow(cells, types, 5)).equals(row));
    const masked = buildBinaryRow([cells[0]!, null, cells[2]!, null, cells[4]!], types, 5);
    const again = parseBinaryRow(payloadOf(masked), types);
    assert.equal(again[1], null, 'a cell made NULL sets its bit');
    assert.throws(
      () => parseBinaryRow(row.subarray(0, row.length - 1), types),
      isCode('MYSQL_TRUNCATED'),
    );
  });

  it('reads the client commands it follows', () => {
    assert.deepEqual(parseCommand(Buffer.of(Command.QUIT)), { command: 'quit' });
    const q = parseCommand(Buffer.concat([u8(Command.QUERY), Buffer.from('select 1')]));
    assert.equal(q.command === 'query' && q.sql.toString(), 'select 1');
    assert.deepEqual(parseCommand(Buffer.concat([u8(Command.INIT_DB), Buffer.from('app')])), {
      command: 'init-db',
      database: 'app',
    });
    const e = parseCommand(
      Buffer.concat([u8(Command.STMT_EXECUTE), u32(9), u8(0), u32(1), Buffer.of(1, 2)]),
    );
    assert.equal(e.command === 'execute' && e.statementId, 9);
    assert.deepEqual(parseCommand(Buffer.concat([u8(Command.STMT_CLOSE), u32(9)])), {
      command: 'close',
      statementId: 9,
    });
    assert.deepEqual(
      parseCommand(Buffer.concat([u8(Command.CHANGE_USER), cstr('root'), Buffer.alloc(3)])),
      {
        command: 'change-user',
        user: 'root',
      },
    );
    assert.deepEqual(parseCommand(Buffer.of(0x42)), { command: 'other', code: 0x42 });
    assert.throws(() => parseCommand(Buffer.alloc(0)), isCode('MYSQL_TRUNCATED'));
    assert.throws(
      () => parseCommand(Buffer.concat([u8(Command.STMT_EXECUTE), u16(1)])),
      isCode('MYSQL_TRUNCATED'),
    );
  });

  it('reads and writes COM_STMT_PREPARE_OK', () => {
    const ok = { statementId: 3, columns: 2, params: 1, warnings: 0 };
    assert.deepEqual(parsePrepareOk(payloadOf(buildPrepareOk(ok, 1))), ok);
  });

  it('builds packets with their sequence ids', () => {
    assert.deepEqual(
      [...buildErr({ errno: 1, sqlState: 'HY000', message: '' }, 7).subarray(0, 4)],
      [9, 0, 0, 7],
    );
    assert.ok(packet(1, u8(0)).equals(Buffer.of(1, 0, 0, 1, 0)));
  });
});
