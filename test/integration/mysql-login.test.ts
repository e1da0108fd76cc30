import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';

/**
 * The gateway's login to MariaDB with each account's method: mysql_native_password
 * and MariaDB's client_ed25519 (signed with the stored password), and a wrong
 * stored password told to the client as ERR 1045 without the password.
 */
describe('mysql: login methods toward the target', { timeout: 120_000 }, () => {
  let maria: MariaDbInstance;
  let gw: TestGateway;
  const listeners: LocalListener[] = [];

  before(async () => {
    maria = await startMariaDb();
    const admin = await mysql.createConnection({ socketPath: maria.socket!, user: 'root' });
    await admin.query("INSTALL SONAME 'auth_ed25519'");
    await admin.query("CREATE USER 'ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ed-secret-pw')");
    await admin.query(
      "CREATE USER 'native'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('native-pw')",
    );
    await admin.query(`GRANT ALL ON \`${maria.database}\`.* TO 'ed'@'%', 'native'@'%'`);
    await admin.end();
    const line = (name: string, user: string, env: string) =>
      `  - { name: ${name}, type: mysql, host: 127.0.0.1, port: ${maria.port}, database: ${maria.database}, user: ${user}, password: "\${env:${env}}", groups: [agents] }`;
    gw = await startTestGateway({
      connections: [
        line('ed', 'ed', 'ED_PW'),
        line('native', 'native', 'NATIVE_PW'),
        line('wrong', 'native', 'WRONG_PW'),
      ].join('\n'),
      env: { ED_PW: 'ed-secret-pw', NATIVE_PW: 'native-pw', WRONG_PW: 'not-the-password' },
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
    });
  });

  after(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await gw?.close();
    await maria?.stop();
  });

  const through = async (name: string) => {
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({
          url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${name}`,
          token: gw.keys['agent-1']!,
        }),
    });
    listeners.push(listener);
    return mysql.createConnection({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'someone',
      database: maria.database,
    });
  };

  for (const [name, user] of [
    ['ed', 'ed'],
    ['native', 'native'],
  ] as const) {
    it(`logs in as ${user} (${name === 'ed' ? 'client_ed25519' : 'mysql_native_password'})`, async () => {
      const c = await through(name);
      try {
        const [rows] = await c.query('select current_user() as who');
        assert.match((rows as { who: string }[])[0]!.who, new RegExp(`^${user}@`));
      } finally {
        await c.end();
      }
    });
  }

  it('a wrong stored password reaches the client as ERR 1045, never the password', async () => {
    await assert.rejects(through('wrong'), (error: { errno?: number; message: string }) => {
      assert.equal(error.errno, 1045);
      assert.doesNotMatch(error.message, /not-the-password/);
      return true;
    });
  });
});
