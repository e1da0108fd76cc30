import { execFile } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { tool } from '../helpers/tools.js';
import { startMariaDb } from '../helpers/mariadb.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

test('throwaway PostgreSQL and MariaDB servers take password logins over TCP', async () => {
  const [pgA, pgB, maria] = await Promise.all([
    startPostgres(),
    startPostgres({ authMethod: 'md5', user: 'other', password: 'other-pw', database: 'db2' }),
    startMariaDb(),
  ]);
  try {
    assert.notEqual(pgA.url, pgB.url);
    for (const instance of [pgA, pgB]) {
      assert.deepEqual(await pgSelect(instance, instance.password), [
        { one: 1, db: instance.database },
      ]);
      // Proves the login above was checked rather than trusted.
      await assert.rejects(pgSelect(instance, 'wrong'), /password authentication failed/);
    }

    const options = {
      host: maria.host,
      port: maria.port,
      user: maria.user,
      password: maria.password,
      database: maria.database,
    };
    const connection = await mysql.createConnection(options);
    try {
      const [rows] = await connection.query('select 1 as one, database() as db');
      assert.deepEqual(rows, [{ one: 1, db: maria.database }]);
    } finally {
      await connection.end();
    }
    await assert.rejects(
      mysql.createConnection({ ...options, password: 'wrong' }),
      /Access denied/,
    );

    const { stdout } = await execFileAsync(
      tool('psql'),
      ['-X', '-A', '-t', '-c', 'select 1', '-h', pgA.host, '-p', String(pgA.port)],
      {
        env: {
          ...process.env,
          PGUSER: pgA.user,
          PGDATABASE: pgA.database,
          PGPASSWORD: pgA.password,
          PGCONNECT_TIMEOUT: '5',
        },
      },
    );
    assert.equal(stdout.trim(), '1');
  } finally {
    await Promise.all([pgA.stop(), pgB.stop(), maria.stop()]);
  }
});

async function pgSelect(instance: PgInstance, password: string): Promise<unknown[]> {
  const { host, port, user, database } = instance;
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  try {
    return (await client.query('select 1 as one, current_database() as db')).rows;
  } finally {
    await client.end();
  }
}
