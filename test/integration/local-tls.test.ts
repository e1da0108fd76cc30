import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { issueLocalCa } from '../../src/cli/local-tls/certificates.js';
import { NEGOTIATION_CODES } from '../../src/cli/local-tls/postgres-ssl.js';
import { runHoop, spawnHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { tool } from '../helpers/tools.js';
import {
  connectTcp,
  endedSessions,
  eventually,
  hoopEnv,
  startConnect,
  type RunningConnect,
} from '../helpers/tunnel.js';

const execFileAsync = promisify(execFile);

/** An 8-byte negotiation request (protocol §55.2.10). */
function request(code: number): Buffer {
  const message = Buffer.alloc(8);
  message.writeInt32BE(8, 0);
  message.writeInt32BE(code, 4);
  return message;
}

/**
 * `hoop connect` serving TLS itself to PostgreSQL clients (psql and pg):
 * sslmode=require, verify-full against the CA it prints, disable, --no-tls,
 * the negotiation on the wire, and the files it keeps.
 */
describe('hoop connect: local TLS for postgres clients', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let configDir: string;
  const running: RunningConnect[] = [];

  const connect = async (args: string[] = []) => {
    const hoop = await startConnect(gw, 'pg', args, { HOOP_CONFIG_DIR: configDir });
    running.push(hoop);
    return hoop;
  };

  /** psql through the local port with these connection settings; its \conninfo and a query's answer. */
  const psql = async (port: number, settings: string) => {
    const { stdout } = await execFileAsync(
      tool('psql'),
      [
        `host=127.0.0.1 port=${port} dbname=${postgres.database} user=x connect_timeout=10 ${settings}`,
        '-X',
        '-A',
        '-t',
        '-c',
        '\\conninfo',
        '-c',
        'select 40 + 2',
      ],
      { timeout: 30_000, env: { ...process.env, PGSSLMODE: '', PGSSLROOTCERT: '' } },
    );
    return stdout;
  };

  before(async () => {
    postgres = await startPostgres({ password: 'target-secret-t1' });
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
    });
    configDir = await mkdtemp(path.join(os.tmpdir(), 'hoop-tls-'));
  });

  after(async () => {
    await Promise.all(running.map((hoop) => hoop.stop('SIGKILL')));
    await gw?.close();
    await postgres?.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('prints its CA, and psql gets TLS with sslmode=require and verify-full; disable still works', async () => {
    const hoop = await connect();
    const [, caFile] = await hoop.waitFor(/^Local TLS: .*sslmode=verify-full sslrootcert=(\S+)$/m);
    assert.equal(caFile, path.join(configDir, 'tls', 'ca.pem'));
    await eventually(
      () => hoop.output().stderr.includes(`Created a local CA for TLS: ${caFile}`),
      () => `the first start says it made the CA: ${hoop.output().stderr}`,
    );

    const required = await psql(hoop.port, 'sslmode=require');
    assert.match(required, /SSL connection \(protocol: TLSv1\.[23]/);
    assert.match(required, /^42$/m);
    for (const host of ['127.0.0.1', 'localhost']) {
      const verified = await psql(
        hoop.port,
        `sslmode=verify-full sslrootcert=${caFile} host=${host}`,
      );
      assert.match(verified, /SSL connection/, host);
      assert.match(verified, /^42$/m);
    }
    const plain = await psql(hoop.port, 'sslmode=disable');
    assert.doesNotMatch(plain, /SSL connection/);
    assert.match(plain, /^42$/m);
    // The sessions ended as sessions do: the TLS ends here, the tunnel carries the cleartext.
    const sessions = await endedSessions(gw.gateway.store, 'pg', { count: 4 });
    for (const session of sessions) {
      assert.ok(
        ['client_closed', 'target_closed'].includes(session.closeReason ?? ''),
        `${session.id}: ${session.closeReason}`,
      );
    }
  });

  it('pg with ssl { rejectUnauthorized: true, ca } verifies the server; another CA is refused', async () => {
    const hoop = await connect();
    const [, caFile = ''] = await hoop.waitFor(/sslrootcert=(\S+)$/m);
    const ca = await readFile(caFile, 'utf8');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: hoop.port,
      user: 'x',
      database: postgres.database,
      ssl: { rejectUnauthorized: true, ca, servername: 'localhost' },
    });
    await client.connect();
    try {
      assert.deepEqual((await client.query('select 40 + 2 as n')).rows, [{ n: 42 }]);
      assert.equal((client.connection.stream as { encrypted?: boolean }).encrypted, true);
    } finally {
      await client.end();
    }
    const stranger = await issueLocalCa();
    const refused = new pg.Client({
      host: '127.0.0.1',
      port: hoop.port,
      user: 'x',
      database: postgres.database,
      ssl: { rejectUnauthorized: true, ca: stranger.cert },
    });
    refused.on('error', () => {});
    await assert.rejects(refused.connect(), /self[- ]signed|unable to verify|certificate/i);
  });

  it('keeps its keys 0600 in a 0700 directory and reuses the CA at the next start', async () => {
    const dir = path.join(configDir, 'tls');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dir, 'ca-key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, 'localhost-key.pem'))).mode & 0o777, 0o600);
    const ca = new X509Certificate(await readFile(path.join(dir, 'ca.pem')));
    assert.equal(ca.ca, true);
    const server = new X509Certificate(await readFile(path.join(dir, 'localhost-key.pem')));
    assert.ok(server.verify(ca.publicKey), 'the server certificate is signed by the CA');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkIP('::1'), '::1');
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkHost('example.com'), undefined);

    const again = await connect();
    await again.waitFor(/^Local TLS: /m);
    assert.doesNotMatch(again.output().stderr, /Created a local CA/);
    assert.equal(
      new X509Certificate(await readFile(path.join(dir, 'ca.pem'))).fingerprint256,
      ca.fingerprint256,
    );
  });

  it('answers on the wire: GSSENCRequest N, SSLRequest S; a StartupMessage passes untouched', async () => {
    const hoop = await connect();
    const socket = await connectTcp(hoop.port);
    socket.write(request(NEGOTIATION_CODES.gssenc));
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.equal(first.toString(), 'N');
    socket.write(request(NEGOTIATION_CODES.ssl));
    const [second] = (await once(socket, 'data')) as [Buffer];
    assert.equal(second.toString(), 'S');
    socket.destroy();

    // Bytes after an SSLRequest, before its answer, were never protected: the connection is dropped.
    const early = await connectTcp(hoop.port);
    early.write(Buffer.concat([request(NEGOTIATION_CODES.ssl), Buffer.from('smuggled')]));
    const answered: Buffer[] = [];
    early.on('data', (chunk: Buffer) => answered.push(chunk));
    early.on('error', () => {});
    // Our end: FIN, and nothing before it (the socket is half-open, as psql's are).
    await once(early, 'end');
    early.destroy();
    assert.equal(Buffer.concat(answered).toString(), '');
    assert.equal(hoop.child.exitCode, null, 'the listener keeps serving');
    assert.match(await psql(hoop.port, 'sslmode=require'), /^42$/m);
  });

  it('with --no-tls answers N as before: require fails, prefer and disable work without TLS', async () => {
    const hoop = await connect(['--no-tls']);
    assert.doesNotMatch(hoop.output().stdout, /Local TLS/);
    await assert.rejects(psql(hoop.port, 'sslmode=require'), /server does not support SSL/);
    const preferred = await psql(hoop.port, 'sslmode=prefer');
    assert.doesNotMatch(preferred, /SSL connection/);
    assert.match(preferred, /^42$/m);
  });

  it('--json prints where it listens and the CA on one line', async () => {
    const hoop = spawnHoop(['connect', 'pg', '--port', '0', '--json'], {
      ...hoopEnv(gw),
      HOOP_CONFIG_DIR: configDir,
    });
    running.push(Object.assign(hoop, { port: 0 }));
    const [line = ''] = await hoop.waitFor(/^\{.*\}$/m);
    assert.equal(hoop.output().stdout, `${line}\n`, 'only the JSON line on stdout');
    assert.match(hoop.output().stderr, /^Forwarding 127\.0\.0\.1:\d+ to pg/m);
    const ready = JSON.parse(line);
    assert.equal(ready.connection, 'pg');
    assert.equal(ready.type, 'postgres');
    assert.equal(ready.address, '127.0.0.1');
    assert.ok(ready.port > 0);
    assert.equal(ready.tls.caFile, path.join(configDir, 'tls', 'ca.pem'));
    assert.match(ready.connect, /^psql "postgres:\/\/127\.0\.0\.1:\d+\//);
  });

  it('refuses a CA key others can read, naming the file and what to do', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-tls-loose-'));
    try {
      const first = await startConnect(gw, 'pg', [], { HOOP_CONFIG_DIR: dir });
      await first.stop('SIGINT');
      await chmod(path.join(dir, 'tls', 'ca-key.pem'), 0o644);
      const result = await runHoop(['connect', 'pg', '--port', '0'], {
        HOOP_GATEWAY: gw.url,
        HOOP_TOKEN: gw.keys['agent-1'] ?? '',
        HOOP_CONFIG_DIR: dir,
      });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /ca-key\.pem is readable by other users \(mode 644\)\nRun `chmod 600/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
