import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { generateApiKey } from '../../src/lib/api-key.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { runHoop, type RunningHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { startServerProcess, writeServerConfig } from '../helpers/server-process.js';

const CLIENTS = 6;

/**
 * Regression of the durability promise: a `hoop server` process killed with
 * SIGKILL under load from several pg clients loses no event for a response
 * a client received. The clients note every statement whose result they got;
 * after a restart (which replays the journal) each of them is in the store.
 */
describe('audit durability: SIGKILL of the gateway under load', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let db: string;
  const key = generateApiKey();
  let server: RunningHoop | undefined;

  before(async () => {
    postgres = await startPostgres();
    ({ dir, db, configFile } = await writeServerConfig(postgres, key, 'hoop-audit-kill-'));
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startServer = (): Promise<{ running: RunningHoop; url: string }> =>
    startServerProcess(configFile, postgres);

  it('every statement a client got a response for is recorded after a restart', async () => {
    const first = await startServer();
    server = first.running;
    const listener: LocalListener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${first.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: key }),
    });
    /** Texts of statements whose result reached a client. */
    const acknowledged: string[] = [];
    let killed = false;
    const load = async (client: number): Promise<void> => {
      const pgClient = new pg.Client({
        host: '127.0.0.1',
        port: listener.address.port,
        user: 'whoever',
        database: postgres.database,
      });
      pgClient.on('error', () => {});
      await pgClient.connect();
      for (let i = 0; !killed; i++) {
        const text = `select ${i} as c${client}_${i}`;
        try {
          await pgClient.query(text);
        } catch {
          return;
        }
        acknowledged.push(text);
        // Half the clients use the extended protocol: its completion is a CommandComplete.
        if (client % 2 === 1) {
          const extended = `select $1::int as e${client}_${i}`;
          try {
            await pgClient.query(extended, [i]);
          } catch {
            return;
          }
          acknowledged.push(extended);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, client) => load(client));
    // Load until a few hundred statements have been answered, then kill mid-stream.
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < 600 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    first.running.child.kill('SIGKILL');
    await first.running.stop();
    killed = true;
    await Promise.allSettled(clients);
    await listener.close();
    assert.ok(acknowledged.length >= 100, `only ${acknowledged.length} statements under load`);

    // The restart replays the journal into the store before it listens.
    const second = await startServer();
    server = second.running;
    await second.running.stop();
    const sqlite = new SqliteDatabase(db, { readonly: true });
    const recorded = new Set(
      (sqlite.prepare('select text from events').all() as { text: string }[]).map(
        (row) => row.text,
      ),
    );
    const sessions = sqlite
      .prepare('select count(*) as n from sessions where close_reason = ?')
      .get('gateway_restart') as { n: number };
    sqlite.close();
    const lost = acknowledged.filter((text) => !recorded.has(text));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} answered statements lost`);
    assert.equal(sessions.n, CLIENTS, 'the killed sessions are closed as gateway_restart');

    // What was recorded before the kill still verifies; the killed sessions are open, not tampered.
    const verify = await runHoop(['audit', 'verify', '--config', configFile, '--json'], {
      PG_PASSWORD: 'unused',
    });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const report = JSON.parse(verify.stdout) as { intact: boolean; events: number };
    assert.equal(report.intact, true);
    assert.ok(report.events >= acknowledged.length);
  });
});
