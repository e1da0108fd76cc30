import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { buildQuery } from '../../src/server/protocols/postgres/protocol/index.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { PgWire, type Received } from '../helpers/pg-wire.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * Regression: a key removed from the config kept working until a restart.
 * Now SIGHUP (or a change of the file) reloads API keys and connections: a
 * removed key is refused for new tunnels at once and its open sessions end
 * (PostgreSQL FATAL 28000 naming HOOP_AUTH_INVALID, recorded as
 * `unauthorized`); a broken file keeps the last good config and says so.
 */
describe('config reload: API key revocation without a restart', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let db: string;
  const removed = generateApiKey();
  const kept = generateApiKey();
  let server: RunningHoop | undefined;

  const config = (keys: [string, string][]): string =>
    [
      'listen: 127.0.0.1:0',
      `store: sqlite:${db}`,
      'log: { level: info }',
      'auth:',
      '  apiKeys:',
      ...keys.map(
        ([name, key]) => `    - { name: ${name}, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
      ),
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
      'policy:',
      '  - { name: agents, match: { groups: [agents] }, effect: allow }',
    ].join('\n');

  before(async () => {
    postgres = await startPostgres();
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-reload-keys-'));
    db = path.join(dir, 'data', 'hoop.db');
    configFile = path.join(dir, 'hoop.yaml');
    await writeFile(
      configFile,
      config([
        ['agent-1', removed],
        ['agent-2', kept],
      ]),
    );
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('SIGHUP: a removed key is refused at once and its open session ends', async () => {
    const running = spawnHoop(['server', '--config', configFile], {
      PG_PASSWORD: postgres.password,
    });
    server = running;
    const [, url] = await running.waitFor(/listening on (http:\/\/\S+)/, 30_000);
    const open = await PgWire.open(url!, removed, 'pg');
    open.send(buildQuery('select 1'));
    await open.untilReady();

    await writeFile(configFile, config([['agent-2', kept]]));
    running.child.kill('SIGHUP');
    const fatal = await open.until((message: Received) => message.code === 0x45, 1, 10_000);
    const error = fatal[fatal.length - 1]!.message;
    assert.equal(error.type, 'errorResponse');
    if (error.type === 'errorResponse') {
      assert.equal(error.fields.severity, 'FATAL');
      assert.equal(error.fields.code, '28000');
      assert.match(error.fields.message ?? '', /HOOP_AUTH_INVALID/);
    }
    await assert.rejects(PgWire.open(url!, removed, 'pg'), /401|HOOP_AUTH_INVALID|not known/);
    const other = await PgWire.open(url!, kept, 'pg');
    other.send(buildQuery('select 2'));
    await other.untilReady();

    // A broken file is refused; the last good config stays in force.
    await writeFile(configFile, 'auth: [not, a, mapping');
    running.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.match(running.output().stderr, /config_reload_failed/);
    await assert.rejects(PgWire.open(url!, removed, 'pg'), /401|HOOP_AUTH_INVALID|not known/);
    other.send(buildQuery('select 3'));
    await other.untilReady();
    other.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await running.stop('SIGTERM'), 0);

    const sqlite = new SqliteDatabase(db, { readonly: true });
    const reasons = sqlite
      .prepare('select subject, close_reason as reason from sessions order by started_at')
      .all() as { subject: string; reason: string }[];
    sqlite.close();
    assert.deepEqual(reasons[0], { subject: 'apikey:agent-1', reason: 'unauthorized' });
  });
});
