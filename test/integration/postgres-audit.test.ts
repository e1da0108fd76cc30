import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Gateway } from '../../src/server/gateway.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { StatementEvent } from '../../src/server/store/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { eventually } from '../helpers/tunnel.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * Per-statement audit events on the PostgreSQL data path, with real parts:
 * PostgreSQL, the gateway in this process with a policy, a tunnel listener
 * in this process, and the `pg` driver over the simple and extended protocols.
 */
describe('postgres statement audit', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let listener: LocalListener;
  let gw: TestGateway;
  let key: string;
  const SECRET_PARAM = 'param-value-7d2e9';

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-a8dt' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table items (id int primary key, label text)');
    await admin.query("insert into items values (1, 'one')");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        {
          name: 'no-drops',
          match: { statements: ['drop', 'truncate'] },
          effect: 'deny',
          message: 'Dropping objects is not allowed',
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    gateway = gw.gateway;
    key = gw.keys['agent-1'] ?? '';
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: key }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await postgres?.stop();
  });

  it('records each statement with its decision, rule, rows, error and policy hash', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await client.connect();
    try {
      assert.equal((await client.query('select * from items')).rowCount, 1);
      assert.equal(
        (await client.query("insert into items values (2, 'two'), (3, 'three')")).rowCount,
        2,
      );
      await assert.rejects(client.query('drop table items'), { code: '42501' });
      await assert.rejects(client.query('select * from nope'), { code: '42P01' });
      const extended = await client.query('select id, label from items where label <> $1', [
        SECRET_PARAM,
      ]);
      assert.equal(extended.rowCount, 3);
    } finally {
      await client.end();
    }

    const [session] = await gateway.store.listSessions({ connection: 'pg' });
    assert.ok(session);
    let events: StatementEvent[] = [];
    await eventually(
      async () =>
        (events = (await gateway.store.listEvents(session.id)) as StatementEvent[]).length >= 5,
      () => `5 events (have ${events.length})`,
    );
    assert.deepEqual(
      events.map((e) => [e.seq, e.decision, e.rule, e.rows, e.errorCode]),
      [
        [1, 'allow', 'agents', 1, undefined],
        [2, 'allow', 'agents', 2, undefined],
        [3, 'deny', 'no-drops', undefined, '42501'],
        [4, 'allow', 'agents', undefined, '42P01'],
        [5, 'allow', 'agents', 3, undefined],
      ],
    );
    const [select, insert, drop, missing, bound] = events as [
      StatementEvent,
      StatementEvent,
      StatementEvent,
      StatementEvent,
      StatementEvent,
    ];
    assert.equal(select.text, 'select * from items');
    assert.deepEqual(select.kinds, ['select']);
    assert.deepEqual(select.tables, ['items']);
    assert.deepEqual(insert.kinds, ['insert']);
    assert.deepEqual(drop.kinds, ['drop']);
    assert.match(drop.errorMessage ?? '', /no-drops/);
    assert.match(missing.errorMessage ?? '', /nope/);
    assert.equal(bound.text, 'select id, label from items where label <> $1');
    const hashes = new Set(events.map((e) => e.policyHash));
    assert.equal(hashes.size, 1);
    for (const e of events) {
      assert.equal(e.sessionId, session.id);
      assert.equal(e.kind, 'statement');
      assert.ok(e.fingerprint, `seq ${e.seq} has a fingerprint`);
      assert.ok(e.policyHash, `seq ${e.seq} has a policy hash`);
      assert.ok(e.durationMs !== undefined && e.durationMs >= 0);
      assert.ok(!JSON.stringify(e).includes(SECRET_PARAM), 'no parameter value is stored');
    }
  });
});
