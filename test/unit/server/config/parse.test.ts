import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';

import { parseConfig, type GatewayConfig } from '../../../../src/server/config/index.js';

const KEY_HASH = `sha256:${createHash('sha256').update('hoop_agent_1_key').digest('hex')}`;

/** The example from DESIGN.md, with a real hash in place of `<hex>`. */
const DESIGN_EXAMPLE = `
listen: 127.0.0.1:8009
store: sqlite:./.hoop/hoop.db          # or postgres://user@host/db for several replicas
auth:
  oidc:
    issuer: https://idp.example.com
    clientId: hoop-cli
    audience: hoop                     # optional
    groupsClaim: groups
  apiKeys:                             # machine identities; only hashes live here
    - name: agent-1
      groups: [agents]
      keyHash: ${KEY_HASH}
connections:
  - name: pg-prod
    type: postgres                     # postgres | mysql | ssh | http | tcp
    host: 127.0.0.1
    port: 5432
    database: app
    user: app
    password: \${env:PG_PROD_PASSWORD}   # secrets come from the environment or files, never the file itself
    groups: [engineering, agents]      # who may use it at all
policy: ./policy.yaml                  # or an inline list of rules
`;

const FILE = '/etc/hoop/hoop.yaml';

function parse(text: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  return parseConfig(text, { file: FILE, env });
}

describe('parseConfig', () => {
  it('reads delegation rules', () => {
    const config = parse(
      'auth:\n  delegation:\n    - { actors: [agent-1], subjects: [alice, "*"] }\n',
    );
    assert.deepEqual(config.auth.delegation, [{ actors: ['agent-1'], subjects: ['alice', '*'] }]);
  });

  it('reads the DESIGN.md example', () => {
    const config = parse(DESIGN_EXAMPLE, { PG_PROD_PASSWORD: 'pg-secret' });
    assert.deepEqual(config, {
      file: FILE,
      listen: { host: '127.0.0.1', port: 8009 },
      store: 'sqlite:/etc/hoop/.hoop/hoop.db',
      auth: {
        oidc: {
          issuer: 'https://idp.example.com',
          clientId: 'hoop-cli',
          audience: 'hoop',
          groupsClaim: 'groups',
          scopes: ['openid', 'profile', 'email', 'offline_access'],
          revocationWindowMs: 60_000,
        },
        apiKeys: [{ name: 'agent-1', groups: ['agents'], keyHash: KEY_HASH }],
        delegation: [],
      },
      connections: [
        {
          name: 'pg-prod',
          type: 'postgres',
          host: '127.0.0.1',
          port: 5432,
          database: 'app',
          user: 'app',
          password: 'pg-secret',
          groups: ['engineering', 'agents'],
        },
      ],
      policy: '/etc/hoop/policy.yaml',
      tunnel: { maxFrameBytes: 1_048_576, pingIntervalMs: 30_000, maxBufferedBytes: 1_048_576 },
      shutdown: { timeoutMs: 10_000 },
      audit: {
        auditors: [],
        preview: { rows: 100, bytes: 65_536 },
        onStoreFailure: 'close',
        spool: { dir: '/etc/hoop/.hoop/spool', maxBytes: 67_108_864 },
        maxTextBytes: 65_536,
      },
      reviews: {
        approvedStatementTtlMs: 3_600_000,
        maxGrantDurationMs: 28_800_000,
        notify: [],
        notifyRetries: 3,
      },
      sql: { limits: {}, offThreadLength: 8192, parseTimeoutMs: 5000 },
      postgres: { maxMessageBytes: 67_108_864, catalogTtlMs: 2_000 },
      ssh: {
        maxCommandBytes: 65_536,
        maxChannels: 10,
        maxAuthAttempts: 10,
        handshakeTimeoutMs: 20_000,
        maxRecordedBytes: 16_777_216,
      },
      mysql: { maxPacketBytes: 67_108_864 },
      log: { level: 'info' },
    });
  });

  it('applies defaults to a config with a single setting', () => {
    const config = parse('log: { level: debug }\n');
    assert.deepEqual(config, {
      file: FILE,
      listen: { host: '127.0.0.1', port: 8009 },
      store: 'sqlite:/etc/hoop/.hoop/hoop.db',
      auth: { apiKeys: [], delegation: [] },
      connections: [],
      tunnel: { maxFrameBytes: 1_048_576, pingIntervalMs: 30_000, maxBufferedBytes: 1_048_576 },
      shutdown: { timeoutMs: 10_000 },
      audit: {
        auditors: [],
        preview: { rows: 100, bytes: 65_536 },
        onStoreFailure: 'close',
        spool: { dir: '/etc/hoop/.hoop/spool', maxBytes: 67_108_864 },
        maxTextBytes: 65_536,
      },
      reviews: {
        approvedStatementTtlMs: 3_600_000,
        maxGrantDurationMs: 28_800_000,
        notify: [],
        notifyRetries: 3,
      },
      sql: { limits: {}, offThreadLength: 8192, parseTimeoutMs: 5000 },
      postgres: { maxMessageBytes: 67_108_864, catalogTtlMs: 2_000 },
      ssh: {
        maxCommandBytes: 65_536,
        maxChannels: 10,
        maxAuthAttempts: 10,
        handshakeTimeoutMs: 20_000,
        maxRecordedBytes: 16_777_216,
      },
      mysql: { maxPacketBytes: 67_108_864 },
      log: { level: 'debug' },
    });
    assert.equal('policy' in config, false);
    assert.equal('oidc' in config.auth, false);
  });

  it('defaults the OIDC groups claim and scopes', () => {
    const config = parse(
      'auth:\n  oidc:\n    issuer: https://idp.example.com\n    clientId: hoop\n',
    );
    assert.deepEqual(config.auth.oidc, {
      issuer: 'https://idp.example.com',
      clientId: 'hoop',
      groupsClaim: 'groups',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      revocationWindowMs: 60_000,
    });
  });

  it('reads the revocation window as a duration', () => {
    const config = parse(
      'auth:\n  oidc:\n    issuer: https://idp.example.com\n    clientId: hoop\n    revocationWindow: 2m\n',
    );
    assert.equal(config.auth.oidc?.revocationWindowMs, 120_000);
  });

  it('gives each connection type its default port', () => {
    const text = `connections:
${['postgres', 'mysql', 'http']
  .map((type) => `  - { name: ${type}-1, type: ${type}, host: h, groups: [g] }`)
  .join('\n')}
  - { name: ssh-1, type: ssh, host: h, groups: [g], user: u, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKedRYQL790mJtkkZ9GoTJSH0UCY1ANi029f4lZlGzMO" }
  - { name: https-1, type: http, host: h, groups: [g], tls: true }
  - { name: tcp-1, type: tcp, host: h, groups: [g], port: 6379 }
`;
    const ports = parse(text).connections.map((c) => [c.name, c.port]);
    assert.deepEqual(ports, [
      ['postgres-1', 5432],
      ['mysql-1', 3306],
      ['http-1', 80],
      ['ssh-1', 22],
      ['https-1', 443],
      ['tcp-1', 6379],
    ]);
  });

  it('reads the tunnel limits, with durations', () => {
    const config = parse(
      'tunnel:\n  maxFrameBytes: 65536\n  pingInterval: 1m30s\n  maxBufferedBytes: "8388608"\n',
    );
    assert.deepEqual(config.tunnel, {
      maxFrameBytes: 65_536,
      pingIntervalMs: 90_000,
      maxBufferedBytes: 8_388_608,
    });
  });

  it('takes numbers and flags from the environment', () => {
    const config = parse(
      'connections:\n  - { name: pg, type: postgres, host: h, port: "${env:PG_PORT}", tls: "${env:PG_TLS}", groups: [g] }\n',
      { PG_PORT: '6432', PG_TLS: 'true' },
    );
    assert.equal(config.connections[0]?.port, 6432);
    assert.equal(config.connections[0]?.tls, true);
  });

  describe('listen', () => {
    const cases: [string, { host: string; port: number }][] = [
      ['127.0.0.1:8009', { host: '127.0.0.1', port: 8009 }],
      ['localhost:0', { host: 'localhost', port: 0 }],
      ['gateway.internal:443', { host: 'gateway.internal', port: 443 }],
      [':8009', { host: '0.0.0.0', port: 8009 }],
      ['"[::1]:8009"', { host: '::1', port: 8009 }],
      ['"[::]:8009"', { host: '::', port: 8009 }],
      ['8010', { host: '127.0.0.1', port: 8010 }],
    ];
    for (const [written, expected] of cases) {
      it(`reads listen: ${written}`, () => {
        assert.deepEqual(parse(`listen: ${written}\n`).listen, expected);
      });
    }
  });

  describe('store', () => {
    it('makes a relative sqlite path absolute against the config directory', () => {
      assert.equal(parse('store: sqlite:data/hoop.db\n').store, 'sqlite:/etc/hoop/data/hoop.db');
      assert.equal(parse('store: sqlite:../hoop.db\n').store, 'sqlite:/etc/hoop.db');
    });

    it('keeps absolute sqlite paths, :memory: and postgres URLs as written', () => {
      assert.equal(parse('store: sqlite:/var/lib/hoop.db\n').store, 'sqlite:/var/lib/hoop.db');
      assert.equal(parse('store: "sqlite::memory:"\n').store, 'sqlite::memory:');
      for (const url of [
        'postgres://hoop@db.internal/hoop',
        'postgresql://hoop@db:5432/hoop?sslmode=require',
      ]) {
        assert.equal(parse(`store: ${url}\n`).store, url);
      }
    });

    it('resolves relative paths against the working directory for inline text', () => {
      const config = parseConfig('store: sqlite:hoop.db\npolicy: policy.yaml\n', { env: {} });
      assert.equal(config.file, '<inline>');
      assert.equal(config.store, `sqlite:${resolve('hoop.db')}`);
      assert.equal(config.policy, resolve('policy.yaml'));
    });
  });

  describe('policy', () => {
    it('makes a relative policy path absolute against the config directory', () => {
      assert.equal(parse('policy: ./policies/prod.yaml\n').policy, '/etc/hoop/policies/prod.yaml');
      assert.equal(parse('policy: /srv/policy.yaml\n').policy, '/srv/policy.yaml');
    });

    it('keeps an inline list of rules as written', () => {
      const config = parse(`policy:
  - name: no-drops
    match: { connections: [pg-prod], statements: [drop, truncate] }
    effect: deny
`);
      assert.deepEqual(config.policy, [
        {
          name: 'no-drops',
          match: { connections: ['pg-prod'], statements: ['drop', 'truncate'] },
          effect: 'deny',
        },
      ]);
    });
  });

  it('records the absolute path of a relative file name', () => {
    const config = parseConfig('{}\n', { file: join('conf', 'hoop.yaml'), env: {} });
    assert.equal(config.file, resolve('conf', 'hoop.yaml'));
    assert.equal(config.store, `sqlite:${join(dirname(config.file), '.hoop', 'hoop.db')}`);
  });
});
