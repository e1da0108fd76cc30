import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { dial, startLocalListener } from '../../src/tunnel/index.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const CLIENTS = 20;
const TIMEOUT_S = 4;

/**
 * Regression: a SIGTERM while sessions log in to the target left the
 * gateway alive for minutes, holding its port and refusing every tunnel.
 * Now it stops within `shutdown.timeout`: sessions end as
 * `gateway_shutdown` (PostgreSQL clients get FATAL 57P01, as from a
 * PostgreSQL fast shutdown), logins in flight are abandoned, every session's
 * end is recorded. Three times in a row, under 20 clients that open
 * sessions in a loop.
 */
describe('gateway stop under load', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let db: string;
  const key = generateApiKey();
  let server: RunningHoop | undefined;

  before(async () => {
    postgres = await startPostgres();
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-stop-'));
    db = path.join(dir, 'hoop.db');
    configFile = path.join(dir, 'hoop.yaml');
    await writeFile(
      configFile,
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${db}`,
        'log: { level: warn }',
        `shutdown: { timeout: ${TIMEOUT_S}s }`,
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
        'connections:',
        `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
        'policy:',
        '  - { name: agents, match: { groups: [agents] }, effect: allow }',
      ].join('\n'),
    );
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const round of [1, 2, 3]) {
    it(`round ${round}: SIGTERM with ${CLIENTS} clients opening sessions ends within the timeout`, async () => {
      const running = spawnHoop(['server', '--config', configFile], {
        PG_PASSWORD: postgres.password,
      });
      server = running;
      const [, url] = await running.waitFor(/listening on (http:\/\/\S+)/, 30_000);
      const listener = await startLocalListener({
        host: '127.0.0.1',
        port: 0,
        dial: () => dial({ url: `${url!.replace(/^http/, 'ws')}/api/tunnel/pg`, token: key }),
      });
      let stopping = false;
      const codes = new Set<string>();
      let sessions = 0;
      const load = async (): Promise<void> => {
        while (!stopping) {
          const client = new pg.Client({
            host: '127.0.0.1',
            port: listener.address.port,
            user: 'whoever',
            database: postgres.database,
          });
          client.on('error', () => {});
          try {
            await client.connect();
            sessions++;
            await client.query('select pg_sleep(0.05)');
            await client.end();
          } catch (error) {
            codes.add((error as { code?: string }).code ?? 'none');
            await client.end().catch(() => {});
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, load);
      while (sessions < 40) await new Promise((resolve) => setTimeout(resolve, 20));

      const stoppedAt = Date.now();
      running.child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) =>
        running.child.once('exit', (exitCode) => resolve(exitCode)),
      );
      const tookMs = Date.now() - stoppedAt;
      stopping = true;
      await Promise.allSettled(clients);
      await listener.close();

      assert.equal(code, 0, running.output().stderr);
      // The timeout, and room for a loaded machine to write the ends and close.
      assert.ok(tookMs < (TIMEOUT_S + 4) * 1000, `the gateway took ${tookMs} ms to stop`);
      // A session cut by the stop was told so in PostgreSQL's words (57P01);
      // 'none' is a connection refused or closed before it was a session.
      for (const seen of codes) assert.ok(['57P01', 'none'].includes(seen), `error code ${seen}`);
      assert.doesNotMatch(running.output().stderr, /"level":50/, 'nothing logged as an error');

      const sqlite = new SqliteDatabase(db, { readonly: true });
      const reasons = sqlite
        .prepare('select close_reason as reason, count(*) as n from sessions group by 1')
        .all() as { reason: string | null; n: number }[];
      sqlite.close();
      const byReason = Object.fromEntries(reasons.map((row) => [String(row.reason), row.n]));
      assert.equal(byReason['null'], undefined, `sessions left open: ${JSON.stringify(byReason)}`);
      assert.equal(byReason['internal_error'], undefined, JSON.stringify(byReason));
      assert.equal(byReason['client_vanished'], undefined, JSON.stringify(byReason));
      assert.ok((byReason['gateway_shutdown'] ?? 0) > 0, JSON.stringify(byReason));
    });
  }
});
