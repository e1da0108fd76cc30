import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { tool } from '../helpers/tools.js';

/**
 * No false positives on ordinary work: psql's meta-commands read the system
 * catalogs (type names, owners, index definitions, privileges), which hold
 * no masked column's values. Through the gateway, as an identity with mask
 * rules on `customers.email` and `*.ssn` and every detector on, they print
 * what they print for an identity without masks; the customers' rows stay
 * masked.
 */
describe('psql meta-commands under masking', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let dir: string;
  const listeners: LocalListener[] = [];
  const ports: Record<string, number> = {};
  const keys = { agent: generateApiKey(), dba: generateApiKey() };

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-c4t' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(
      'create table customers (id int primary key, name varchar(80) not null, email text unique, ssn text, created timestamptz default now())',
    );
    await admin.query('create index customers_name on customers (lower(name))');
    await admin.query(
      "insert into customers values (1, 'Jane Doe', 'jane.doe@example.com', '536-90-4381')",
    );
    await admin.query(
      'create function add_one(i int) returns int language sql immutable as $$ select i + 1 $$',
    );
    await admin.query('create schema billing');
    await admin.query('create view customer_names as select id, name from customers');
    await admin.end();

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-pg-psql-'));
    const config = parseConfig(
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(keys.agent)}" }`,
        `    - { name: dba-1, groups: [dba], keyHash: "${hashApiKey(keys.dba)}" }`,
        'connections:',
        `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents, dba] }`,
        'policy:',
        '  - name: pii',
        '    match: { groups: [agents] }',
        '    effect: mask',
        '    mask:',
        '      columns: [customers.email, "*.ssn"]',
        '      detectors: [email, credit_card, phone, national_id, iban, ip, secrets]',
        '  - name: people',
        '    match: { groups: [agents, dba] }',
        '    effect: allow',
      ].join('\n'),
      { file: path.join(dir, 'hoop.yaml'), env: { PG_PASSWORD: postgres.password } },
    );
    gateway = await startGateway({ config, logger: createLogger('silent') });
    const url = `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`;
    for (const [who, token] of Object.entries(keys)) {
      const listener = await startLocalListener({
        host: '127.0.0.1',
        port: 0,
        dial: () => dial({ url, token }),
      });
      listeners.push(listener);
      ports[who] = listener.address.port;
    }
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await gateway?.close();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** psql through the gateway as `who`, unaligned output; stdout and stderr. */
  const psql = (who: 'agent' | 'dba', command: string): Promise<{ out: string; err: string }> =>
    new Promise((resolve, reject) => {
      execFile(
        tool('psql'),
        [
          '-X',
          '-A',
          '-h',
          '127.0.0.1',
          '-p',
          String(ports[who]),
          '-U',
          postgres.user,
          '-d',
          postgres.database,
          '-c',
          command,
        ],
        { timeout: 30_000, env: { ...process.env, PGPASSWORD: 'unused', PGCONNECT_TIMEOUT: '10' } },
        (error, stdout, stderr) => {
          if (error && !stdout) reject(new Error(`${command}: ${stderr || error.message}`));
          else resolve({ out: stdout, err: stderr });
        },
      );
    });

  for (const command of [
    '\\d customers',
    '\\d+ customers',
    '\\dt',
    '\\dv',
    '\\l',
    '\\df add_one',
    '\\dn',
    '\\du',
    '\\di',
    '\\dT',
    '\\dx',
    '\\dp customers',
  ]) {
    it(`${command} prints the real catalog information`, async () => {
      const masked = await psql('agent', command);
      const unmasked = await psql('dba', command);
      assert.equal(masked.err, '', `${command}: ${masked.err}`);
      assert.equal(masked.out, unmasked.out, `${command} differs for the masked identity`);
      assert.doesNotMatch(masked.out, /\*\*\*/, `${command} printed a redaction`);
    });
  }

  it('\\d customers shows type names, the owner-independent index definitions and defaults', async () => {
    const { out } = await psql('agent', '\\d customers');
    for (const expected of [
      'character varying(80)',
      'timestamp with time zone',
      'now()',
      'customers_pkey',
      'PRIMARY KEY, btree (id)',
      'btree (lower(name::text))',
      'UNIQUE CONSTRAINT, btree (email)',
    ]) {
      assert.ok(out.includes(expected), `\\d customers lacks ${expected}:\n${out}`);
    }
  });

  it('the rows themselves stay masked for the same identity', async () => {
    const { out } = await psql('agent', 'select email, ssn from customers');
    assert.ok(!out.includes('jane.doe@example.com'), out);
    assert.ok(!out.includes('536-90-4381'), out);
  });
});
