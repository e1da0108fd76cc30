/**
 * `npm run bench:mysql [-- --queries 5000 --rows 1000000]`: what the gateway
 * costs MySQL clients against connecting to MariaDB directly, measured in
 * the same run: a mysql2 select-by-primary-key loop at 1 and 8 clients, and
 * reading `--rows` rows unmasked and masked. The gateway runs in-process
 * with an in-process local listener (the tunnel's WebSocket leg included;
 * no `hoop connect` process). Targets from the issue: ≥ 0.45× at 8 clients,
 * ≤ +150 µs at 1, rows ≥ 0.9× unmasked and ≥ 0.65× masked.
 */
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { startTestGateway } from '../test/helpers/gateway.js';
import { startMariaDb } from '../test/helpers/mariadb.js';
import { startLocalListener, dial } from '../src/tunnel/index.js';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '5000' },
    rows: { type: 'string', default: '1000000' },
  },
});
const QUERIES = Number(values.queries);
const ROWS = Number(values.rows);

const maria = await startMariaDb();
try {
  const admin = await mysql.createConnection(maria.url);
  await admin.query('create table kv (id int primary key, v varchar(40), email varchar(60))');
  await admin.query(
    `insert into kv select seq, concat('value-', seq), concat('user', seq, '@example.com') from seq_1_to_${Math.max(ROWS, 10_000)}`,
  );
  await admin.end();
  const line = (name: string) =>
    `  - { name: ${name}, type: mysql, host: 127.0.0.1, port: ${maria.port}, database: ${maria.database}, user: ${maria.user}, password: "\${env:MYSQL_PASSWORD}", groups: [agents] }`;
  const gw = await startTestGateway({
    connections: [line('plain'), line('masked')].join('\n'),
    env: { MYSQL_PASSWORD: maria.password },
    policy: [
      {
        name: 'pii',
        match: { connections: ['masked'] },
        effect: 'mask',
        mask: { columns: ['kv.email'], detectors: [] },
      },
      { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
    ],
  });
  const listen = (name: string) =>
    startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({
          url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${name}`,
          token: gw.keys['agent-1']!,
        }),
    });
  const plain = await listen('plain');
  const masked = await listen('masked');
  const direct = {
    host: '127.0.0.1',
    port: maria.port,
    user: maria.user,
    password: maria.password,
    database: maria.database,
  };
  const via = (port: number) => ({
    host: '127.0.0.1',
    port,
    user: 'bench',
    database: maria.database,
  });

  const pkLoop = async (options: mysql.ConnectionOptions, clients: number): Promise<number> => {
    const connections = await Promise.all(
      Array.from({ length: clients }, () => mysql.createConnection(options)),
    );
    const per = Math.ceil(QUERIES / clients);
    const started = performance.now();
    await Promise.all(
      connections.map(async (c, k) => {
        for (let i = 0; i < per; i++)
          await c.execute('select v from kv where id = ?', [((i * 7919 + k) % 10_000) + 1]);
      }),
    );
    const elapsed = performance.now() - started;
    await Promise.all(connections.map((c) => c.end()));
    return elapsed / (per * clients);
  };

  const readAll = async (options: mysql.ConnectionOptions): Promise<number> => {
    const c = await mysql.createConnection({ ...options, rowsAsArray: true });
    const started = performance.now();
    const [rows] = await c.query(`select id, v, email from kv where id <= ${ROWS}`);
    const elapsed = performance.now() - started;
    if ((rows as unknown[]).length !== ROWS) throw new Error('short read');
    await c.end();
    return elapsed;
  };

  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  for (const clients of [1, 8]) {
    const d = await pkLoop(direct, clients);
    const h = await pkLoop(via(plain.address.port), clients);
    console.log(
      `select by PK, ${clients} client(s): direct ${us(d)}/query, hoop ${us(h)}/query: ` +
        (clients === 1
          ? `+${us(h - d)} (target ≤ +150 µs)`
          : `${(d / h).toFixed(2)}× throughput (target ≥ 0.45×)`),
    );
  }
  const d = await readAll(direct);
  const u = await readAll(via(plain.address.port));
  const m = await readAll(via(masked.address.port));
  console.log(
    `${ROWS} rows: direct ${d.toFixed(0)} ms, hoop unmasked ${u.toFixed(0)} ms (${(d / u).toFixed(2)}×, target ≥ 0.9×), masked ${m.toFixed(0)} ms (${(d / m).toFixed(2)}×, target ≥ 0.65×)`,
  );
  await plain.close();
  await masked.close();
  await gw.close();
} finally {
  await maria.stop();
}
