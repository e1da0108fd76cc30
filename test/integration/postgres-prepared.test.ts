import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { PgWire, errorsOf } from '../helpers/pg-wire.js';
import {
  buildParse,
  buildQuery,
  buildSync,
} from '../../src/server/protocols/postgres/protocol/index.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';

const ALLOW_ALL = `rules:
  - name: agents
    match: { groups: [agents] }
    effect: allow
`;

const NO_DELETES = `rules:
  - name: no-deletes
    match: { statements: [delete, truncate] }
    effect: deny
  - name: agents
    match: { groups: [agents] }
    effect: allow
`;

/**
 * Prepared statements are decided by what they run when they run: SQL's
 * EXECUTE by the statement prepared under its name (by SQL's PREPARE or a
 * protocol Parse: one namespace), a name the gateway did not see prepared
 * is unknowable, and a statement Parsed under an earlier policy must be
 * prepared again before it is bound. Each attack prepares a DELETE while
 * the policy allows it, then reloads a policy that denies deletes.
 */
describe('postgres: prepared statements decided when they run', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;
  let admin: pg.Client;
  let dir: string;
  let policyFile: string;

  before(async () => {
    postgres = await startPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table canary (id int)');
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-prepared-'));
    policyFile = path.join(dir, 'policy.yaml');
    await writeFile(policyFile, ALLOW_ALL);
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policyFile,
    });
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: gw.keys['agent-1']! }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await admin?.end();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await writeFile(policyFile, ALLOW_ALL);
    await gw.gateway.reloadPolicy();
    await admin.query('delete from canary');
    await admin.query('insert into canary values (1), (2)');
  });

  const denyDeletes = async (): Promise<void> => {
    await writeFile(policyFile, NO_DELETES);
    const reloaded = await gw.gateway.reloadPolicy();
    assert.ok(reloaded, 'reloaded');
  };

  const client = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    return c;
  };

  const canaryIntact = async (): Promise<void> => {
    const { rows } = await admin.query('select count(*)::int as n from canary');
    assert.deepEqual(rows, [{ n: 2 }], 'canary unchanged');
  };

  const refusedWith = (code: string, message: RegExp) => (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  };

  it('decides EXECUTE by the statement SQL prepared under its name', async () => {
    const c = await client();
    try {
      await c.query('prepare purge as delete from canary');
      await denyDeletes();
      await assert.rejects(c.query('execute purge'), refusedWith('42501', /no-deletes/));
      await assert.rejects(
        c.query('explain analyze execute purge'),
        refusedWith('42501', /no-deletes/),
      );
      await assert.rejects(
        c.query('create table loot as execute purge'),
        refusedWith('42501', /no-deletes/),
      );
    } finally {
      await c.end();
    }
    await canaryIntact();
  });

  it('decides SQL EXECUTE of a statement Parsed through the protocol by what was Parsed', async () => {
    const wire = await PgWire.open(gw.url, gw.keys['agent-1']!, 'pg');
    try {
      wire.send(buildParse('viaparse', 'delete from canary', []), buildSync());
      assert.deepEqual(errorsOf(await wire.untilReady()), []);
      await denyDeletes();
      wire.send(buildQuery('execute viaparse'));
      const answer = await wire.untilReady();
      assert.deepEqual(errorsOf(answer), ['42501']);
      const error = answer.find((m) => m.message.type === 'errorResponse');
      assert.match(
        error?.message.type === 'errorResponse' ? (error.message.fields.message ?? '') : '',
        /no-deletes/,
      );
    } finally {
      wire.close();
    }
    await canaryIntact();
  });

  it('refuses binding a statement Parsed under an earlier policy (26000), and decides it anew once Parsed again', async () => {
    const c = await client();
    try {
      const purge = { name: 'purge_named', text: 'delete from canary where id = $1', values: [1] };
      const keep = {
        name: 'keep_named',
        text: 'select count(*)::int as n from canary',
        values: [],
      };
      await c.query({ ...keep });
      await denyDeletes();
      await assert.rejects(c.query(purge), refusedWith('42501', /no-deletes/));
      // keep_named was decided under the first policy: prepared again, it runs.
      await assert.rejects(c.query(keep), refusedWith('26000', /earlier policy; prepare it again/));
      assert.deepEqual((await c.query('select count(*)::int as n from canary')).rows, [{ n: 2 }]);
    } finally {
      await c.end();
    }
    await canaryIntact();
  });

  it('decides a statement decided by the clock again at each Bind: refused once its rule applies', async () => {
    // A deny rule whose condition reads the time applies from a few seconds from now.
    const from = new Date(Date.now() + 3_000).toISOString();
    await writeFile(
      policyFile,
      `rules:
  - name: no-deletes-later
    match: { statements: [delete] }
    when: 'time > timestamp("${from}")'
    effect: deny
  - name: agents
    match: { groups: [agents] }
    effect: allow
`,
    );
    assert.ok(await gw.gateway.reloadPolicy(), 'reloaded');
    const c = await client();
    try {
      const purge = { name: 'purge_timed', text: 'delete from canary where id = $1' };
      // Before the rule applies: Parsed, bound and run (no such row).
      assert.equal((await c.query({ ...purge, values: [99] })).rowCount, 0);
      await new Promise((resolve) => setTimeout(resolve, Date.parse(from) - Date.now() + 500));
      // The same prepared statement bound again: decided again, refused by the rule.
      await assert.rejects(
        c.query({ ...purge, values: [1] }),
        refusedWith('42501', /no-deletes-later/),
      );
      // The session goes on.
      assert.deepEqual((await c.query('select 1 as n')).rows, [{ n: 1 }]);
    } finally {
      await c.end();
    }
    await canaryIntact();
  });

  it('refuses EXECUTE of a name the gateway did not see prepared; follows PREPARE and DEALLOCATE in one string', async () => {
    await denyDeletes();
    const c = await client();
    try {
      await assert.rejects(c.query('execute nosuch'), refusedWith('42501', /did not see prepared/));
      const both = (await c.query(
        'prepare q as select 7 as n; execute q',
      )) as unknown as pg.QueryResult[];
      assert.deepEqual(both[1]?.rows, [{ n: 7 }]);
      assert.deepEqual((await c.query('execute q')).rows, [{ n: 7 }]);
      await c.query('deallocate q');
      await assert.rejects(c.query('execute q'), refusedWith('42501', /did not see prepared/));
      await c.query('prepare q2 as select 8 as n');
      await c.query('deallocate all');
      await assert.rejects(c.query('execute q2'), refusedWith('42501', /did not see prepared/));
      // A PREPARE the server refused prepares nothing.
      await assert.rejects(c.query('prepare bad as select * from no_such_table'));
      await assert.rejects(c.query('execute bad'), refusedWith('42501', /did not see prepared/));
    } finally {
      await c.end();
    }
    await canaryIntact();
  });
});
