import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { connectTarget } from '../../src/server/protocols/postgres/login.js';
import { LocalConnector, targetInfo } from '../../src/server/targets/local.js';
import { TargetPool, type IdleTarget } from '../../src/server/protocols/postgres/target-pool.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * TargetPool's limits against a real PostgreSQL (SCRAM): connections logged
 * in by connectTarget, parked, taken, timed out and dropped.
 */
describe('TargetPool', () => {
  let postgres: PgInstance;
  let admin: pg.Client;

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-tp1' });
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
  });

  after(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  const config = () => ({
    name: 'pg',
    type: 'postgres' as const,
    host: '127.0.0.1',
    port: postgres.port,
    database: postgres.database,
    user: postgres.user,
    password: postgres.password,
    groups: ['agents'],
  });

  const login = async (): Promise<IdleTarget> => {
    // The server starts in before(): its port is known only then.
    const connection = await connectTarget(new LocalConnector([config()]), {
      target: targetInfo(config()),
      user: postgres.user,
      database: postgres.database,
      parameters: new Map(),
    });
    return { connection, parameters: new Map() };
  };

  const alive = async (pid: number): Promise<boolean> => {
    const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
    return rows.length > 0;
  };

  /** Waits up to 5 s for `pid` to leave the server. */
  const gone = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if (!(await alive(pid))) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  };

  const pid = (target: IdleTarget): number => target.connection.backendKey!.processId;

  it('hands a parked connection back to its key only, newest first', async () => {
    const pool = new TargetPool();
    try {
      const a = await login();
      const b = await login();
      pool.park('k', a);
      pool.park('k', b);
      assert.equal(await pool.take('other'), undefined);
      assert.equal(pid((await pool.take('k'))!), pid(b));
      assert.equal(pid((await pool.take('k'))!), pid(a));
      assert.equal(await pool.take('k'), undefined);
      assert.equal(pool.size, 0);
      a.connection.socket.destroy();
      b.connection.socket.destroy();
    } finally {
      pool.close();
    }
  });

  it('closes what goes over the per-key and total bounds', async () => {
    const pool = new TargetPool({ maxPerKey: 1, maxTotal: 2 });
    try {
      const [a, b, c, d] = await Promise.all([login(), login(), login(), login()]);
      pool.park('k1', a!);
      pool.park('k1', b!);
      pool.park('k2', c!);
      pool.park('k3', d!);
      assert.equal(pool.size, 2);
      assert.ok(await gone(pid(b!)), 'over the per-key bound');
      assert.ok(await gone(pid(d!)), 'over the total bound');
      assert.ok(await alive(pid(a!)));
      assert.ok(await alive(pid(c!)));
    } finally {
      pool.close();
    }
  });

  it('closes a connection idle for longer than idleTimeoutMs', async () => {
    const pool = new TargetPool({ idleTimeoutMs: 200 });
    try {
      const a = await login();
      pool.park('k', a);
      assert.ok(await gone(pid(a)));
      assert.equal(pool.size, 0);
      assert.equal(await pool.take('k'), undefined);
    } finally {
      pool.close();
    }
  });

  it('drops a parked connection the target ends', async () => {
    const pool = new TargetPool();
    try {
      const a = await login();
      pool.park('k', a);
      // Let the reset finish so that the connection is watched while parked.
      const taken = await pool.take('k');
      pool.park('k', taken!);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await admin.query('select pg_terminate_backend($1)', [pid(a)]);
      assert.ok(await gone(pid(a)));
      for (let i = 0; i < 50 && pool.size > 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(pool.size, 0);
      assert.equal(await pool.take('k'), undefined);
    } finally {
      pool.close();
    }
  });

  it('closes everything on close(), and what is parked after it', async () => {
    const pool = new TargetPool();
    const a = await login();
    const b = await login();
    pool.park('k', a);
    pool.close();
    pool.park('k', b);
    assert.equal(pool.size, 0);
    assert.ok(await gone(pid(a)));
    assert.ok(await gone(pid(b)));
  });
});
