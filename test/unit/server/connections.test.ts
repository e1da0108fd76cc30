import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoopError } from '../../../src/lib/errors.js';
import type { Identity } from '../../../src/server/auth/identity.js';
import type { ConnectionConfig } from '../../../src/server/config/index.js';
import { Connections, summarize } from '../../../src/server/connections.js';

function caller(name: string, groups: string[]): Identity {
  return { subject: `apikey:${name}`, name, kind: 'agent', method: 'apikey', groups };
}

const configured: ConnectionConfig[] = [
  {
    name: 'pg-prod',
    type: 'postgres',
    host: 'db.internal',
    port: 5432,
    database: 'app',
    user: 'app',
    password: 'resolved-secret',
    groups: ['engineering', 'agents'],
  },
  { name: 'billing-ssh', type: 'ssh', host: 'billing', port: 22, groups: ['ops'] },
  { name: 'Echo', type: 'tcp', host: '127.0.0.1', port: 7, groups: ['agents'] },
  { name: 'api', type: 'http', host: 'api.internal', port: 80, groups: ['engineering'] },
];
const connections = new Connections(configured);

describe('Connections', () => {
  it('lists what the caller’s groups overlap, sorted by name, without targets or secrets', () => {
    assert.deepEqual(connections.listFor(caller('agent-1', ['agents'])), [
      { name: 'Echo', type: 'tcp', localPort: 8999 },
      { name: 'pg-prod', type: 'postgres', localPort: 5433, database: 'app' },
    ]);
    assert.deepEqual(
      connections.listFor(caller('eve', ['engineering', 'ops'])).map((c) => c.name),
      ['api', 'billing-ssh', 'pg-prod'],
    );
    assert.deepEqual(connections.listFor(caller('nobody', [])), []);
    const text = JSON.stringify(
      connections.listFor(caller('all', ['agents', 'ops', 'engineering'])),
    );
    assert.doesNotMatch(text, /resolved-secret|db\.internal|"user"|"host"|"port"/);
  });

  it('resolves a connection the caller may use, by name in any case', () => {
    const me = caller('agent-1', ['agents']);
    assert.equal(connections.resolve('pg-prod', me).host, 'db.internal');
    assert.equal(connections.resolve('PG-PROD', me).name, 'pg-prod');
    assert.equal(connections.resolve('echo', me).name, 'Echo');
  });

  it('refuses an unknown name with HOOP_CONNECTION_UNKNOWN (404, exit 2)', () => {
    assert.throws(
      () => connections.resolve('nope', caller('agent-1', ['agents'])),
      (error: unknown) => {
        assert.ok(error instanceof HoopError);
        assert.equal(error.code, 'HOOP_CONNECTION_UNKNOWN');
        assert.equal(error.status, 404);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /"nope"/);
        assert.match(error.hint ?? '', /hoop connections/);
        return true;
      },
    );
  });

  it('refuses a connection outside the caller’s groups with HOOP_CONNECTION_FORBIDDEN (403, exit 3)', () => {
    assert.throws(
      () => connections.resolve('billing-ssh', caller('agent-1', ['agents', 'ci'])),
      (error: unknown) => {
        assert.ok(error instanceof HoopError);
        assert.equal(error.code, 'HOOP_CONNECTION_FORBIDDEN');
        assert.equal(error.status, 403);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /agent-1 .*"billing-ssh".*agents, ci/);
        assert.match(error.hint ?? '', /ops/);
        return true;
      },
    );
  });
});

describe('summarize', () => {
  it('gives the default local port per type and the database only when set', () => {
    assert.deepEqual(summarize(configured[0]!), {
      name: 'pg-prod',
      type: 'postgres',
      localPort: 5433,
      database: 'app',
    });
    assert.deepEqual(summarize(configured[1]!), {
      name: 'billing-ssh',
      type: 'ssh',
      localPort: 2222,
    });
    assert.deepEqual(summarize(configured[3]!), { name: 'api', type: 'http', localPort: 8081 });
    assert.deepEqual(
      summarize({ name: 'my', type: 'mysql', host: 'h', port: 3306, groups: ['g'] }),
      { name: 'my', type: 'mysql', localPort: 3307 },
    );
  });
});
