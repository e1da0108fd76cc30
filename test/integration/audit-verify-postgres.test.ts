import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { hashApiKey, generateApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { dial, startLocalListener } from '../../src/tunnel/index.js';
import { tool } from '../helpers/tools.js';
import { runHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

interface VerifyJson {
  intact: boolean;
  sessions: number;
  events: number;
  sealed: number;
  problems: { kind: string; sessionId: string; seq: number }[];
}

/**
 * `hoop audit verify` (the built CLI) on a PostgreSQL store: the record as
 * the real gateway wrote it (a PostgreSQL target, pg and psql through a
 * tunnel, masking, a refused statement, a failed one, previews with NULLs and
 * non-ASCII text) verifies as read back from PostgreSQL, and each kind of
 * direct edit of the store is reported where it is.
 *
 * The recorded store is kept as a template database; every check runs on a
 * fresh copy of it, which the verifier's config names.
 */
describe('audit chain: hoop audit verify on a PostgreSQL store', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let configLines: (store: string) => string[];
  let recordedUrl: string;
  let workUrl: string;
  const RECORDED = `hoop_recorded_${process.pid}`;
  const WORK = `hoop_work_${process.pid}`;
  /** The pg session (the one with the most events), and its event count. */
  let target: { id: string; events: number };

  /** The URL of a database on the server; `password` as the config writes it. */
  const storeUrl = (database: string, password = postgres.password): string => {
    const user = encodeURIComponent(postgres.user);
    return `postgres://${user}:${password}@${postgres.host}:${postgres.port}/${database}`;
  };
  /** The store as the config names it: its password from the environment. */
  const configStore = (database: string): string =>
    storeUrl(database, '${env:HOOP_STORE_PASSWORD}');

  /** Runs `statements` on the server's maintenance connection (the target database's owner). */
  const admin = async (url: string, ...statements: string[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const results: pg.QueryResult[] = [];
      for (const statement of statements) results.push(await client.query(statement));
      return results;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    postgres = await startPostgres({ password: 'target-secret-p9v2' });
    await admin(
      postgres.url,
      'create table customers (id int primary key, name text, email text, note text)',
      `insert into customers values
         (1, 'Zoë Ångström', 'zoe@example.com', 'naïve “quotes” \\ back\\slash 🐘'),
         (2, 'Bob', 'bob@example.com', null),
         (3, '', 'carol@example.com', e'tab\\tnew\\nline'),
         (4, 'Dan', 'dan@example.com', 'x'),
         (5, 'Eve', 'eve@example.com', 'y')`,
      `CREATE DATABASE ${RECORDED}`,
    );
    recordedUrl = storeUrl(RECORDED);
    workUrl = storeUrl(WORK);

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-audit-verify-pg-'));
    const key = generateApiKey();
    configLines = (store) => [
      'listen: 127.0.0.1:0',
      `store: "${store}"`,
      'log: { level: silent }',
      'auth:',
      '  apiKeys:',
      `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
      'policy:',
      '  - { name: no-drops, match: { statements: [drop] }, effect: deny }',
      '  - name: pii',
      '    match: { groups: [agents] }',
      '    effect: mask',
      '    mask: { columns: [customers.email] }',
      '  - { name: agents, match: { groups: [agents] }, effect: allow }',
      'audit:',
      '  preview: { rows: 3, bytes: 4096 }',
    ];
    // The signing key of a gateway on a PostgreSQL store is in .hoop/ next to
    // its config file, where the verifier looks for it.
    configFile = path.join(dir, 'hoop.yaml');
    await writeFile(configFile, configLines(configStore(RECORDED)).join('\n'));
    const config = parseConfig(configLines(configStore(RECORDED)).join('\n'), {
      file: configFile,
      env: { PG_PASSWORD: postgres.password, HOOP_STORE_PASSWORD: postgres.password },
    });
    const gateway = await startGateway({ config, logger: createLogger('silent') });
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: key }),
    });
    try {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: listener.address.port,
        user: 'whoever',
        database: postgres.database,
      });
      await client.connect();
      try {
        // 1: masked, five rows, a preview of three with a NULL and non-ASCII text.
        const { rows } = await client.query(
          'select id, name, email, note from customers order by id',
        );
        assert.equal(rows.length, 5);
        assert.notEqual(rows[0].email, 'zoe@example.com', 'masked for the client');
        // 2: refused by policy.
        await assert.rejects(client.query('drop table customers'));
        // 3: fails on the target.
        await assert.rejects(client.query('select 1/0'));
        // 4 to 6: the extended protocol, with parameters and typed values.
        await client.query('select $1::text as t, now() as ts, 1.5::float8 as f, $2::int as n', [
          'é\u0001"}',
          7,
        ]);
        await client.query('select \'{"a": [1, 2.50]}\'::jsonb as j, 1e300::float8 as big');
        await client.query(
          'update customers set note = note where id in (1, 2) returning id, email, note',
        );
        // 7: a slow one, for a duration with many digits.
        await client.query('select pg_sleep(0.0123)');
      } finally {
        await client.end();
      }
      await execFileAsync(
        tool('psql'),
        [
          `postgres://127.0.0.1:${listener.address.port}/${postgres.database}`,
          '-XAt',
          '-c',
          'select count(*) from customers',
          '-c',
          'select id, email from customers where id > 3',
        ],
        { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
      );
    } finally {
      await listener.close();
      await gateway.close();
    }
    const [counts] = await admin(
      recordedUrl,
      `select session_id as id, count(*)::int as events from events
       group by session_id order by count(*) desc, session_id limit 1`,
    );
    target = counts!.rows[0] as { id: string; events: number };
  });

  after(async () => {
    if (postgres) {
      await admin(
        postgres.url,
        `DROP DATABASE IF EXISTS ${WORK} WITH (FORCE)`,
        `DROP DATABASE IF EXISTS ${RECORDED} WITH (FORCE)`,
      ).catch(() => {});
      await postgres.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the recorded store, for the verifier's config. */
  const restore = async () => {
    await admin(
      postgres.url,
      `DROP DATABASE IF EXISTS ${WORK} WITH (FORCE)`,
      `CREATE DATABASE ${WORK} TEMPLATE ${RECORDED}`,
    );
    await writeFile(configFile, configLines(configStore(WORK)).join('\n'));
  };

  const verify = async (...args: string[]) => {
    const result = await runHoop(['audit', 'verify', '--config', configFile, ...args], {
      PG_PASSWORD: 'not-needed-to-verify',
      HOOP_STORE_PASSWORD: postgres.password,
    });
    return {
      ...result,
      json: args.includes('--json') ? (JSON.parse(result.stdout) as VerifyJson) : undefined,
    };
  };

  /** Restores the recorded store, applies `sql` to it, and returns what verify --json reports. */
  const tampered = async (sql: string) => {
    await restore();
    await admin(workUrl, sql);
    const result = await verify('--json');
    assert.equal(result.code, 1, result.stderr);
    return result.json!.problems.map((problem) => {
      assert.equal(problem.sessionId, target.id);
      return `${problem.kind}@${problem.seq}`;
    });
  };

  it('records the statements: masked previews, the refusal and the error', async () => {
    const [{ rows }] = (await admin(
      recordedUrl,
      `select seq, decision, error_code, preview from events
       where session_id = '${target.id}' order by seq`,
    )) as [pg.QueryResult];
    assert.equal(rows.length, target.events);
    assert.equal(rows[1].decision, 'deny');
    assert.ok(rows[2].error_code, 'the failed statement has its error');
    const preview = JSON.parse(rows[0].preview as string) as {
      columns: string[];
      rows: (string | null)[][];
      truncated: boolean;
    };
    assert.deepEqual(preview.columns, ['id', 'name', 'email', 'note']);
    assert.equal(preview.rows.length, 3);
    assert.equal(preview.truncated, true);
    assert.equal(preview.rows[1]![3], null);
    assert.equal(preview.rows[0]![2], 'z***@example.com');
    assert.equal(preview.rows[0]![3], 'naïve “quotes” \\ back\\slash 🐘');
    assert.ok(!preview.rows.flat().includes('zoe@example.com'), 'never unmasked');
  });

  it('reports an intact record: exit 0, every session sealed', async () => {
    await restore();
    const result = await verify('--json');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(result.json!.problems, []);
    assert.equal(result.json!.sessions, 2);
    assert.equal(result.json!.sealed, 2);
    assert.equal(result.json!.events, target.events + 2);
    const text = await verify(target.id);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, new RegExp(`^intact: 1 session, ${target.events} events`, 'm'));
  });

  it('reports an altered text at its position', async () => {
    const found = await tampered(
      `update events set text = 'select 1 -- harmless' where session_id = '${target.id}' and seq = 3`,
    );
    assert.ok(found.includes('altered@3'), found.join());
  });

  it('reports an altered decision, kind and preview', async () => {
    assert.ok(
      (
        await tampered(
          `update events set decision = 'allow' where session_id = '${target.id}' and seq = 2`,
        )
      ).includes('altered@2'),
    );
    assert.ok(
      (
        await tampered(
          `update events set kind = 'forged' where session_id = '${target.id}' and seq = 4`,
        )
      ).includes('altered@4'),
    );
    assert.ok(
      (
        await tampered(
          `update events set preview = replace(preview, '"truncated":true', '"truncated": true')
           where session_id = '${target.id}' and seq = 1`,
        )
      ).includes('altered@1'),
    );
  });

  it('reports a removed event', async () => {
    const found = await tampered(
      `delete from events where session_id = '${target.id}' and seq = 4`,
    );
    assert.ok(found.includes('missing@4') && found.includes('broken_link@5'), found.join());
  });

  it('reports swapped seqs', async () => {
    const found = await tampered(
      `update events set seq = case seq when 2 then 3 else 2 end
       where session_id = '${target.id}' and seq in (2, 3)`,
    );
    assert.ok(found.includes('altered@2') && found.includes('altered@3'), found.join());
  });

  it('reports an altered signature, and the text output names it; exit 1', async () => {
    const found = await tampered(
      `update audit_signatures set signature = 'AAAA' || substr(signature, 5)
       where session_id = '${target.id}' and final = 1`,
    );
    assert.deepEqual(found, [`bad_signature@${target.events}`]);
    const text = await verify();
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`${target.id} seq ${target.events}: bad_signature`));
    assert.match(text.stderr, /HOOP_AUDIT_TAMPERED|does not verify/);
  });
});
