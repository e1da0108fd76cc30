import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { parseConfig } from '../../../../src/server/config/index.js';

const HASH = `sha256:${'ab'.repeat(32)}`;

/** Parses text that must be refused and returns the error. */
function refuse(text: string, env: NodeJS.ProcessEnv = {}): HoopError {
  try {
    parseConfig(text, { file: 'hoop.yaml', env });
  } catch (error) {
    assert.ok(error instanceof HoopError, `expected a HoopError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the config to be refused');
}

/** Asserts a single problem: its code, the place in `details`, and the message. */
function assertProblem(
  error: HoopError,
  expected: { line: number; column: number; key: string; message: string | RegExp },
): void {
  assert.equal(error.code, 'HOOP_CONFIG_INVALID');
  assert.equal(error.message.split('\n').length, 1, error.message);
  const { line, column, key, message } = expected;
  assert.deepEqual(
    {
      file: error.details?.file,
      line: error.details?.line,
      column: error.details?.column,
      key: error.details?.key,
    },
    { file: 'hoop.yaml', line, column, key },
  );
  const prefix = `hoop.yaml:${line}:${column}: ${key === '' ? '' : `${key}: `}`;
  assert.ok(error.message.startsWith(prefix), `${error.message} should start with ${prefix}`);
  const rest = error.message.slice(prefix.length);
  if (typeof message === 'string') assert.equal(rest, message);
  else assert.match(rest, message);
}

const pg = (extra = '') => `connections:
  - name: pg-prod
    type: postgres
    host: 127.0.0.1
    groups: [engineering]
${extra}`;

describe('config errors', () => {
  it('names a wrong type and what the file says', () => {
    assertProblem(refuse(pg('    port: abc\n')), {
      line: 6,
      column: 5,
      key: 'connections[0].port',
      message: 'expected a number from 1 to 65535, got "abc"',
    });
    assertProblem(refuse(pg('    port: 70000\n')), {
      line: 6,
      column: 5,
      key: 'connections[0].port',
      message: 'expected a number from 1 to 65535, got 70000',
    });
    assertProblem(refuse('log:\n  level: [info]\n'), {
      line: 2,
      column: 3,
      key: 'log.level',
      message: /^expected one of trace, debug, info, warn, error, fatal, silent, got a list$/,
    });
    assertProblem(refuse('auth: yes\n'), {
      line: 1,
      column: 1,
      key: 'auth',
      message: 'expected a mapping of keys to values, got "yes"',
    });
  });

  it('points a missing key at the mapping that lacks it', () => {
    assertProblem(refuse('connections:\n  - name: pg\n    type: postgres\n    groups: [g]\n'), {
      line: 2,
      column: 5,
      key: 'connections[0].host',
      message: 'missing, expected a host name or IP address',
    });
    assertProblem(refuse('auth:\n  oidc:\n    clientId: hoop\n'), {
      line: 2,
      column: 3,
      key: 'auth.oidc.issuer',
      message: /^missing, expected the identity provider's URL/,
    });
  });

  it('refuses an unknown key at the key, suggesting a close one', () => {
    assertProblem(refuse('conections: []\n'), {
      line: 1,
      column: 1,
      key: 'conections',
      message: 'unknown key, did you mean `connections`?',
    });
    assertProblem(refuse(pg('    hots: db.internal\n')), {
      line: 6,
      column: 5,
      key: 'connections[0].hots',
      message: 'unknown key, did you mean `host`?',
    });
    assertProblem(
      refuse('auth:\n  oidc:\n    issuer: https://idp\n    clientId: c\n    groupClaim: g\n'),
      {
        line: 5,
        column: 5,
        key: 'auth.oidc.groupClaim',
        message: 'unknown key, did you mean `groupsClaim`?',
      },
    );
  });

  it('lists the known keys when none is close', () => {
    assertProblem(refuse('tunnel:\n  compression: true\n'), {
      line: 2,
      column: 3,
      key: 'tunnel.compression',
      message: 'unknown key, expected one of `maxFrameBytes`, `pingInterval`, `maxBufferedBytes`',
    });
  });

  it('refuses keys that the connection type does not have', () => {
    assertProblem(
      refuse(
        'connections:\n  - { name: web, type: http, host: web, groups: [g], database: app }\n',
      ),
      {
        line: 2,
        column: 54,
        key: 'connections[0].database',
        message: /^unknown key, expected one of `type`, `name`, `host`, `port`, `groups`, `tls`$/,
      },
    );
  });

  it('refuses an unknown connection type, suggesting a close one', () => {
    const text = 'connections:\n  - name: pg\n    type: postgress\n    host: h\n    groups: [g]\n';
    assertProblem(refuse(text), {
      line: 3,
      column: 5,
      key: 'connections[0].type',
      message:
        'expected one of postgres, mysql, ssh, http, tcp, got "postgress"; did you mean `postgres`?',
    });
    assertProblem(refuse('connections:\n  - name: pg\n    host: h\n    groups: [g]\n'), {
      line: 2,
      column: 5,
      key: 'connections[0].type',
      message: 'missing, expected one of postgres, mysql, ssh, http, tcp',
    });
  });

  it('requires a port for tcp connections', () => {
    assertProblem(
      refuse('connections:\n  - name: redis\n    type: tcp\n    host: h\n    groups: [g]\n'),
      {
        line: 2,
        column: 5,
        key: 'connections[0].port',
        message: 'missing, expected a number from 1 to 65535',
      },
    );
  });

  it('requires connection groups and says why', () => {
    assertProblem(refuse('connections:\n  - { name: pg, type: postgres, host: h }\n'), {
      line: 2,
      column: 5,
      key: 'connections[0].groups',
      message: /^missing, expected a list of the groups that may use it/,
    });
    assertProblem(refuse(pg().replace('[engineering]', '[]')), {
      line: 5,
      column: 5,
      key: 'connections[0].groups',
      message:
        'expected at least one group: with none, nobody may use the connection, got an empty list',
    });
    assertProblem(refuse(pg().replace('[engineering]', '[engineering, ""]')), {
      line: 5,
      column: 27,
      key: 'connections[0].groups[1]',
      message: 'expected a group name, got ""',
    });
  });

  it('checks connection names', () => {
    assertProblem(refuse(pg().replace('pg-prod', '"pg prod"')), {
      line: 2,
      column: 5,
      key: 'connections[0].name',
      message: /^expected a name of letters, digits.*, got "pg prod"$/,
    });
    assertProblem(refuse(pg().replace('pg-prod', '-pg')), {
      line: 2,
      column: 5,
      key: 'connections[0].name',
      message: /got "-pg"$/,
    });
  });

  it('refuses a duplicate connection name at the duplicate', () => {
    const text = `connections:
  - { name: pg-prod, type: postgres, host: a, groups: [g] }
  - { name: pg-stage, type: postgres, host: b, groups: [g] }
  - name: PG-Prod
    type: mysql
    host: c
    groups: [g]
`;
    assertProblem(refuse(text), {
      line: 4,
      column: 5,
      key: 'connections[2].name',
      message: 'duplicate connection name "PG-Prod", already used by connections[0] on line 2',
    });
  });

  it('checks API keys: hash format and unique names', () => {
    assertProblem(
      refuse(`auth:\n  apiKeys:\n    - { name: ci, keyHash: "sha256:${'AB'.repeat(32)}" }\n`),
      {
        line: 3,
        column: 19,
        key: 'auth.apiKeys[0].keyHash',
        message: /^expected sha256: followed by the key's SHA-256 in 64 lowercase hex digits, got/,
      },
    );
    const dup = `auth:\n  apiKeys:\n    - { name: ci, keyHash: "${HASH}" }\n    - { name: ci, keyHash: "${HASH}" }\n`;
    assertProblem(refuse(dup), {
      line: 4,
      column: 9,
      key: 'auth.apiKeys[1].name',
      message: 'duplicate API key name "ci", already used by auth.apiKeys[0] on line 3',
    });
    assertProblem(
      refuse(`auth:\n  apiKeys:\n    - { name: ci, groups: [], keyHash: "${HASH}" }\n`),
      {
        line: 3,
        column: 19,
        key: 'auth.apiKeys[0].groups',
        message: /^expected at least one group/,
      },
    );
  });

  it('checks listen, store, durations and OIDC values', () => {
    assertProblem(refuse('listen: 127.0.0.1:99999\n'), {
      line: 1,
      column: 1,
      key: 'listen',
      message: /^expected host:port with a port from 0 to 65535.*, got "127.0.0.1:99999"$/,
    });
    assertProblem(refuse('listen: ::1:8009\n'), {
      line: 1,
      column: 1,
      key: 'listen',
      message: /^expected an IPv6 address in brackets/,
    });
    assertProblem(refuse('store: mysql://db/hoop\n'), {
      line: 1,
      column: 1,
      key: 'store',
      message: 'expected sqlite:PATH, sqlite::memory: or a postgres:// URL, got "mysql://db/hoop"',
    });
    assertProblem(refuse('tunnel:\n  pingInterval: 30\n'), {
      line: 2,
      column: 3,
      key: 'tunnel.pingInterval',
      message: 'expected a duration such as 30s, got 30',
    });
    assertProblem(refuse('tunnel:\n  pingInterval: 0s\n'), {
      line: 2,
      column: 3,
      key: 'tunnel.pingInterval',
      message: 'expected a duration such as 30s, got "0s"',
    });
    assertProblem(
      refuse('auth:\n  oidc: { issuer: "https://idp", clientId: c, scopes: [email] }\n'),
      {
        line: 2,
        column: 47,
        key: 'auth.oidc.scopes',
        message: 'expected a list of scopes that includes openid, got a list',
      },
    );
    assertProblem(refuse('log: { level: infoo }\n'), {
      line: 1,
      column: 8,
      key: 'log.level',
      message: /, got "infoo"; did you mean `info`\?$/,
    });
  });

  it('reports every problem, one per line, in file order', () => {
    const error = refuse(`listen: nowhere
stroe: sqlite:x
connections:
  - name: pg
    type: postgres
    host: h
    port: abc
    groups: []
`);
    assert.equal(error.code, 'HOOP_CONFIG_INVALID');
    assert.deepEqual(error.message.split('\n'), [
      'hoop.yaml:1:1: listen: expected host:port such as 127.0.0.1:8009, :8009 or [::1]:8009, got "nowhere"',
      'hoop.yaml:2:1: stroe: unknown key, did you mean `store`?',
      'hoop.yaml:7:5: connections[0].port: expected a number from 1 to 65535, got "abc"',
      'hoop.yaml:8:5: connections[0].groups: expected at least one group: with none, nobody may use the connection, got an empty list',
    ]);
    assert.deepEqual(
      { line: error.details?.line, column: error.details?.column, key: error.details?.key },
      { line: 1, column: 1, key: 'listen' },
    );
    assert.equal((error.details?.problems as unknown[]).length, 4);
    assert.equal(error.exitCode, 2);
  });

  describe('YAML', () => {
    it('locates a syntax error', () => {
      assertProblem(refuse('listen: 127.0.0.1:8009\nconnections: [\n  pg-prod\n'), {
        line: 4,
        column: 1,
        key: '',
        message: /^YAML syntax error: Flow sequence .* end with a \]$/,
      });
      assertProblem(refuse('store: "sqlite:x\n'), {
        line: 2,
        column: 1,
        key: '',
        message: /^YAML syntax error: Missing closing "quote/,
      });
    });

    it('suggests quoting an IPv6 listen address', () => {
      assertProblem(refuse('listen: [::1]:8009\n'), {
        line: 1,
        column: 14,
        key: '',
        message: /quote an IPv6 address and port: "\[::1\]:8009"$/,
      });
    });

    it('refuses duplicate keys at the second one', () => {
      assertProblem(refuse('listen: :8009\nstore: sqlite:a\nlisten: :8010\n'), {
        line: 3,
        column: 1,
        key: 'listen',
        message: 'duplicate key, already set on line 1',
      });
      assertProblem(refuse(pg('    host: other\n')), {
        line: 6,
        column: 5,
        key: 'connections[0].host',
        message: 'duplicate key, already set on line 4',
      });
    });

    it('refuses an empty file, saying so', () => {
      for (const text of ['', '\n\n', '# nothing configured yet\n']) {
        assertProblem(refuse(text), {
          line: 1,
          column: 1,
          key: '',
          message: /^the file is empty/,
        });
      }
    });

    it('refuses a file that is not a mapping', () => {
      assertProblem(refuse('- listen: :8009\n'), {
        line: 1,
        column: 1,
        key: '',
        message: /^expected a mapping of settings .*, got a list$/,
      });
    });

    it('refuses several documents, unknown tags and undefined aliases', () => {
      assertProblem(refuse('listen: :8009\n---\nlisten: :8010\n'), {
        line: 2,
        column: 1,
        key: '',
        message: /^YAML syntax error: expected one YAML document/,
      });
      assertProblem(refuse('listen: !addr :8009\n'), {
        line: 1,
        column: 9,
        key: '',
        message: /^YAML syntax error: .*!addr/,
      });
      assertProblem(refuse('listen: *addr\n'), {
        line: 1,
        column: 9,
        key: '',
        message: 'YAML syntax error: alias *addr has no anchor &addr before it',
      });
    });

    it('follows anchors and aliases', () => {
      const config = parseConfig(
        'connections:\n  - { name: a, type: postgres, host: h, groups: &g [eng] }\n  - { name: b, type: mysql, host: h, groups: *g }\n',
        { env: {} },
      );
      assert.deepEqual(
        config.connections.map((c) => c.groups),
        [['eng'], ['eng']],
      );
    });
  });
});
