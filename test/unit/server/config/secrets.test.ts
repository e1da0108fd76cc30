import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { parseConfig, type GatewayConfig } from '../../../../src/server/config/index.js';

const SECRET = 'correct horse battery staple';

let dir: string;
let file: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoop-config-'));
  file = join(dir, 'hoop.yaml');
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'pg'), `${SECRET}\n`);
  writeFileSync(join(dir, 'secrets', 'crlf'), 'from-windows\r\n');
  writeFileSync(join(dir, 'secrets', 'two-lines'), 'line one\nline two\n\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function connection(password: string, extra = ''): string {
  return `connections:
  - name: pg-prod
    type: postgres
    host: 127.0.0.1
    user: app
    password: ${password}
    groups: [engineering]
${extra}`;
}

function parse(text: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  return parseConfig(text, { file, env });
}

function refuse(text: string, env: NodeJS.ProcessEnv = {}): HoopError {
  try {
    parse(text, env);
  } catch (error) {
    assert.ok(error instanceof HoopError, `expected a HoopError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the config to be refused');
}

describe('secrets', () => {
  it('reads ${env:NAME}', () => {
    const config = parse(connection('${env:PG_PROD_PASSWORD}'), { PG_PROD_PASSWORD: SECRET });
    assert.equal(config.connections[0]?.password, SECRET);
  });

  it('accepts a variable that is set but empty', () => {
    const config = parse(connection('${env:EMPTY}'), { EMPTY: '' });
    assert.equal(config.connections[0]?.password, '');
  });

  it('reads ${file:PATH} relative to the config file, without its trailing newline', () => {
    assert.equal(parse(connection('${file:secrets/pg}')).connections[0]?.password, SECRET);
    assert.equal(
      parse(connection('${file:./secrets/crlf}')).connections[0]?.password,
      'from-windows',
    );
    assert.equal(
      parse(connection(`"\${file:${join(dir, 'secrets', 'two-lines')}}"`)).connections[0]?.password,
      'line one\nline two\n',
    );
  });

  it('resolves references inside any string, and $${ stands for ${', () => {
    const config = parse(
      connection('${env:PW}', '    database: "app_${env:STAGE}"\n') +
        'store: "postgres://hoop:${env:STORE_PW}@db.internal/hoop"\n' +
        'policy:\n  - { name: literal, message: "costs $${HOME} and ${env:STAGE}" }\n',
      { PW: 'x', STAGE: 'prod', STORE_PW: 'store-secret', HOME: '/root' },
    );
    assert.equal(config.connections[0]?.database, 'app_prod');
    assert.equal(config.store, 'postgres://hoop:store-secret@db.internal/hoop');
    assert.deepEqual(config.policy, [{ name: 'literal', message: 'costs ${HOME} and prod' }]);
  });

  it('refuses an unset variable with HOOP_SECRET_MISSING, located and named', () => {
    const error = refuse(connection('${env:PG_PROD_PASSWORD}'));
    assert.equal(error.code, 'HOOP_SECRET_MISSING');
    assert.equal(
      error.message,
      `${file}:6:5: connections[0].password: environment variable PG_PROD_PASSWORD is not set (referenced as \${env:PG_PROD_PASSWORD})`,
    );
    assert.deepEqual(
      { line: error.details?.line, column: error.details?.column, key: error.details?.key },
      { line: 6, column: 5, key: 'connections[0].password' },
    );
  });

  it('refuses a secret file that cannot be read, naming the file', () => {
    const error = refuse(connection('${file:secrets/missing}'));
    assert.equal(error.code, 'HOOP_SECRET_MISSING');
    assert.equal(
      error.message,
      `${file}:6:5: connections[0].password: secret file ${join(dir, 'secrets', 'missing')} cannot be read: it does not exist`,
    );
    assert.match(refuse(connection('${file:secrets}')).message, /it is a directory$/);
  });

  it('refuses an unreadable secret file', () => {
    const locked = join(dir, 'secrets', 'locked');
    writeFileSync(locked, SECRET);
    chmodSync(locked, 0o000);
    const text = connection('${file:secrets/locked}');
    if (process.getuid?.() !== 0) {
      assert.match(refuse(text).message, /cannot be read: permission denied$/);
      return;
    }
    // Root reads any file, so load the config as an unprivileged user instead.
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'secrets'), 0o755);
    const script = `
      import { parseConfig } from ${JSON.stringify(new URL('../../../../src/server/config/index.ts', import.meta.url).href)};
      try { parseConfig(${JSON.stringify(text)}, { file: ${JSON.stringify(file)}, env: {} }); }
      catch (error) { process.stdout.write(error.message); }`;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp' },
      },
    );
    assert.match(child.stdout, /cannot be read: permission denied$/, child.stderr);
  });

  it('reports a missing secret among other problems as a config error', () => {
    const error = refuse(connection('${env:NOPE}', '    port: abc\n'));
    assert.equal(error.code, 'HOOP_CONFIG_INVALID');
    assert.equal(error.message.split('\n').length, 2);
  });

  it('refuses a literal password, located, without repeating it', () => {
    const error = refuse(connection('hunter2'));
    assert.equal(error.code, 'HOOP_CONFIG_INVALID');
    assert.equal(
      error.message,
      `${file}:6:5: connections[0].password: a secret must not be written in the file; use password: \${env:PG_PROD_PASSWORD} or password: \${file:PATH} (a path relative to this file)`,
    );
    for (const literal of ['1234', '"prefix-${env:PW}"', '""', 'true']) {
      const refused = refuse(connection(literal), { PW: SECRET });
      assert.equal(refused.details?.key, 'connections[0].password', literal);
      assert.doesNotMatch(refused.message, /1234|prefix|correct horse/);
    }
  });

  it('refuses a literal password in a postgres store URL', () => {
    const error = refuse('store: postgres://hoop:hunter2@db/hoop\n');
    assert.equal(error.details?.key, 'store');
    assert.doesNotMatch(error.message, /hunter2/);
    assert.match(error.message, /\$\{env:HOOP_STORE_PASSWORD\}/);
  });

  it('never shows a resolved value in a message', () => {
    const error = refuse(
      'listen: ${env:LISTEN}\nstore: "${env:STORE}"\n' +
        connection('${env:PW}', '    port: ${env:PORT}\n'),
      { LISTEN: `${SECRET}:1`, STORE: SECRET, PW: SECRET, PORT: SECRET },
    );
    assert.equal(error.message.split('\n').length, 3);
    assert.doesNotMatch(error.message, /correct horse/);
    assert.doesNotMatch(JSON.stringify(error.toJSON()), /correct horse/);
    assert.match(error.message, /port: expected a number from 1 to 65535, got "\$\{env:PORT\}"/);
  });

  it('refuses text that looks like a reference but is not one', () => {
    for (const written of [
      '${PW}',
      '${env:}',
      '${env:PG-PW}',
      '${file:}',
      '${vault:pg}',
      '${env:PW',
    ]) {
      const error = refuse(
        connection('x', `    database: "${written}"\n`).replace(
          'password: x',
          'password: ${env:PW}',
        ),
        {
          PW: SECRET,
        },
      );
      assert.equal(error.code, 'HOOP_CONFIG_INVALID', written);
      assert.equal(error.details?.key, 'connections[0].database', written);
      assert.match(
        error.message,
        /is not a reference: write \$\{env:NAME\} or \$\{file:PATH\}/,
        written,
      );
    }
  });

  it('reports an unknown key rather than the secret under it', () => {
    const error = refuse(
      'connections:\n  - { name: web, type: http, host: h, groups: [g], password: "${env:NOPE}" }\n',
    );
    assert.equal(error.code, 'HOOP_CONFIG_INVALID');
    assert.equal(error.details?.key, 'connections[0].password');
    assert.match(error.message, /unknown key/);
  });
});
