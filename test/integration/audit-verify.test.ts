import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { hashApiKey, generateApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { dial, startLocalListener } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

interface VerifyJson {
  intact: boolean;
  publicKey: { fingerprint: string; file?: string };
  sessions: number;
  events: number;
  sealed: number;
  problems: { kind: string; sessionId: string; seq: number }[];
}

/**
 * The audit record as recorded by the real gateway (PostgreSQL, pg through
 * a tunnel, masking), then `hoop audit verify` (the built CLI) on the SQLite
 * file, intact and after each kind of direct edit of the store.
 */
/** Past audit.maxTextBytes once written in a statement; multibyte, so the cut must fall between characters. */
const LONG = 'é€'.repeat(1000);

describe('audit chain: hoop audit verify against direct edits of the store', () => {
  let postgres: PgInstance;
  let dir: string;
  let db: string;
  let pristine: string;
  let configFile: string;
  /** The session with the most events, and its event count. */
  let target: { id: string; events: number };

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-v3r1' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, name text, email text)');
    await admin.query(
      "insert into customers select g, 'name ' || g, 'user' || g || '@example.com' from generate_series(1, 5) g",
    );
    await admin.end();

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-audit-verify-'));
    db = path.join(dir, 'hoop.db');
    pristine = path.join(dir, 'pristine.db');
    const key = generateApiKey();
    const lines = [
      'listen: 127.0.0.1:0',
      `store: sqlite:${db}`,
      'log: { level: silent }',
      'auth:',
      '  apiKeys:',
      `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
      'policy:',
      '  - name: pii',
      '    match: { groups: [agents] }',
      '    effect: mask',
      '    mask: { columns: [customers.email] }',
      '  - { name: agents, match: { groups: [agents] }, effect: allow }',
      'audit:',
      '  preview: { rows: 3, bytes: 4096 }',
      '  maxTextBytes: 1024',
    ];
    configFile = path.join(dir, 'hoop.yaml');
    // The verifier reads the same config: its store and the key file next to it.
    await writeFile(configFile, lines.join('\n'));
    const config = parseConfig(lines.join('\n'), {
      file: configFile,
      env: { PG_PASSWORD: postgres.password },
    });
    const gateway = await startGateway({ config, logger: createLogger('silent') });
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: key }),
    });
    try {
      for (let session = 0; session < 2; session++) {
        const client = new pg.Client({
          host: '127.0.0.1',
          port: listener.address.port,
          user: 'whoever',
          database: postgres.database,
        });
        await client.connect();
        try {
          const { rows } = await client.query('select id, email from customers order by id');
          assert.equal(rows.length, 5);
          assert.notEqual(rows[0].email, 'user1@example.com', 'masked for the client');
          for (let i = 0; i < 5; i++) await client.query(`select ${i} as n`);
          await client.query('select id from customers where id = $1', [2]);
          await client.query(`select '${LONG}' as long`);
        } finally {
          await client.end();
        }
      }
    } finally {
      await listener.close();
      await gateway.close();
    }
    const sqlite = new SqliteDatabase(db, { readonly: true });
    const row = sqlite
      .prepare(
        'select session_id as id, count(*) as events from events group by session_id order by session_id limit 1',
      )
      .get() as { id: string; events: number };
    sqlite.close();
    target = row;
    await copyFile(db, pristine);
  });

  after(async () => {
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = async (...args: string[]) => {
    const result = await runHoop(['audit', 'verify', '--config', configFile, ...args], {
      PG_PASSWORD: 'not-needed-to-verify',
    });
    return {
      ...result,
      json: args.includes('--json') ? (JSON.parse(result.stdout) as VerifyJson) : undefined,
    };
  };

  /** Restores the recorded store, applies `sql` to it, and returns what verify --json reports. */
  const tampered = async (sql: string, ...params: unknown[]) => {
    await copyFile(pristine, db);
    const sqlite = new SqliteDatabase(db);
    sqlite.prepare(sql).run(...params);
    sqlite.close();
    const result = await verify('--json');
    assert.equal(result.code, 1, result.stderr);
    return result.json!.problems.map((problem) => {
      assert.equal(problem.sessionId, target.id);
      return `${problem.kind}@${problem.seq}`;
    });
  };

  it('records previews as the client saw them: masked, at most the configured rows', () => {
    const sqlite = new SqliteDatabase(pristine, { readonly: true });
    const first = sqlite
      .prepare('select preview from events where session_id = ? and seq = 1')
      .get(target.id) as { preview: string };
    sqlite.close();
    const preview = JSON.parse(first.preview) as {
      columns: string[];
      rows: string[][];
      truncated: boolean;
    };
    assert.deepEqual(preview.columns, ['id', 'email']);
    assert.equal(preview.rows.length, 3);
    assert.equal(preview.truncated, true);
    assert.equal(preview.rows[0]![0], '1');
    assert.ok(
      !preview.rows.flat().some((value) => value.includes('user1@example.com')),
      'never unmasked',
    );
  });

  it('reports an intact record: exit 0, every session sealed', async () => {
    const result = await verify('--json');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json!.problems, []);
    assert.equal(result.json!.sessions, 2);
    assert.equal(result.json!.sealed, 2);
    assert.equal(result.json!.events, 2 * target.events);
    const text = await verify(target.id);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^intact: 1 session, 8 events/m);
  });

  it('keeps audit.maxTextBytes of a longer statement, with its whole size and SHA-256', () => {
    const sqlite = new SqliteDatabase(pristine, { readonly: true });
    const row = sqlite
      .prepare('select text, detail from events where session_id = ? and seq = 8')
      .get(target.id) as { text: string; detail: string };
    sqlite.close();
    const whole = `select '${LONG}' as long`;
    assert.ok(whole.startsWith(row.text), 'a prefix, cut between characters');
    assert.ok(Buffer.byteLength(row.text) <= 1024 && Buffer.byteLength(row.text) >= 1021);
    assert.deepEqual(JSON.parse(row.detail), {
      textBytes: Buffer.byteLength(whole),
      textSha256: createHash('sha256').update(whole).digest('hex'),
    });
  });

  it('reports an altered size or hash of a cut text', async () => {
    const found = await tampered(
      `update events set detail = replace(detail, '"textBytes":', '"textBytes":1') where session_id = ? and seq = 8`,
      target.id,
    );
    assert.ok(found.includes('altered@8'), found.join());
  });

  it('reports an altered text at its position', async () => {
    const found = await tampered(
      "update events set text = 'select 1 -- harmless' where session_id = ? and seq = 3",
      target.id,
    );
    assert.ok(found.includes('altered@3'), found.join());
  });

  it('reports a removed event', async () => {
    const found = await tampered('delete from events where session_id = ? and seq = 4', target.id);
    assert.ok(found.includes('missing@4') && found.includes('broken_link@5'), found.join());
  });

  it('reports swapped seqs', async () => {
    const found = await tampered(
      'update events set seq = case seq when 2 then 3 else 2 end where session_id = ? and seq in (2, 3)',
      target.id,
    );
    assert.ok(found.includes('altered@2') && found.includes('altered@3'), found.join());
  });

  it('reports an inserted, forged event', async () => {
    const found = await tampered(
      `insert into events (id, session_id, seq, at, kind, text, kinds, tables, decision, prev_hash, hash)
       select 'evt_forged', session_id, 6, at, kind, 'drop table customers', kinds, tables, decision, prev_hash, hash
       from events where session_id = ? and seq = 6`,
      target.id,
    );
    assert.ok(found.includes('duplicate@6'), found.join());
  });

  it('reports an altered signature, and the text output names it; exit 1', async () => {
    const found = await tampered(
      "update audit_signatures set signature = 'AAAA' || substr(signature, 5) where session_id = ? and final = 1",
      target.id,
    );
    assert.deepEqual(found, [`bad_signature@${target.events}`]);
    const text = await verify();
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`${target.id} seq ${target.events}: bad_signature`));
    assert.match(text.stderr, /HOOP_AUDIT_TAMPERED|does not verify/);
  });

  it('checks with another key when given one: every signature fails', async () => {
    await copyFile(pristine, db);
    const other = path.join(dir, 'other.pub');
    const { generateKeyPairSync } = await import('node:crypto');
    await writeFile(
      other,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const result = await verify('--json', '--public-key', other);
    assert.equal(result.code, 1);
    assert.ok(result.json!.problems.every((problem) => problem.kind === 'bad_signature'));
    assert.equal(result.json!.publicKey.file, other);
    const printed = await runHoop(['audit', 'public-key', '--config', configFile], {
      PG_PASSWORD: 'not-needed',
    });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^-----BEGIN PUBLIC KEY-----\n[^]*-----END PUBLIC KEY-----\n$/);
    const [, fingerprint] = /^fingerprint (SHA256:[A-Za-z0-9+/]{43}) /.exec(printed.stderr) ?? [];
    assert.ok(fingerprint, printed.stderr);
    assert.notEqual(result.json!.publicKey.fingerprint, fingerprint, 'the other key is named');
    const asJson = await runHoop(['audit', 'public-key', '--config', configFile, '--json'], {
      PG_PASSWORD: 'not-needed',
    });
    assert.deepEqual(JSON.parse(asJson.stdout), { fingerprint, pem: printed.stdout });
    const own = path.join(dir, 'own.pub');
    await writeFile(own, printed.stdout);
    const withOwn = await verify('--public-key', own);
    assert.equal(withOwn.code, 0);
    assert.ok(
      withOwn.stdout.includes(`checked with public key ${fingerprint} (${own})\n`),
      withOwn.stdout,
    );

    // With the config's key: its fingerprint, never the private key's path.
    const configured = await verify('--json');
    assert.equal(configured.code, 0, configured.stderr);
    assert.deepEqual(configured.json!.publicKey, { fingerprint });
    assert.doesNotMatch(configured.stdout, /audit-signing\.key|\.key"/);
    const text = await verify();
    assert.ok(
      text.stdout.includes(`checked with public key ${fingerprint} (the gateway's signing key)\n`),
      text.stdout,
    );
    assert.doesNotMatch(text.stdout, /audit-signing\.key/);
  });
});
