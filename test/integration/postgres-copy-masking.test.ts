import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { tool } from '../helpers/tools.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

/**
 * COPY … TO STDOUT under a mask rule, with real parts: PostgreSQL, the
 * gateway with a policy, `hoop connect` and psql (`\copy` runs COPY … TO
 * STDOUT through the client's connection). The binary format is decoded here.
 */
describe('postgres COPY TO masking', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  const connects: RunningHoop[] = [];
  const ports: Record<'agent' | 'dba', number> = { agent: 0, dba: 0 };

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-c0py' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(
      'create table customers (id int primary key, name text, email text, card_number text, notes text)',
    );
    await admin.query(
      `insert into customers values
        (1, 'Jane Doe', 'jane.doe@example.com', '4242 4242 4242 4242', 'call (415) 555-2671'),
        (2, E'Ann|Lee\\tx\\\\y', 'ann@example.org', '5555555555554444', null),
        (3, 'No Mail', null, null, E'two\\nlines, "quoted"')`,
    );
    await admin.query('create table orders (id int primary key, total numeric, note text)');
    await admin.query(
      "insert into orders values (1, 19.90, 'gift wrap'), (2, 5.00, null), (3, 1, E'tab\\there')",
    );
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres, 'pg', ['agents', 'dba']),
      env: { PG_PASSWORD: postgres.password },
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'dba-1', groups: ['dba'] },
      ],
      policy: [
        {
          name: 'pii',
          match: { groups: ['agents'] },
          effect: 'mask',
          mask: { columns: ['customers.email', '*.card_number'], detectors: ['email', 'phone'] },
        },
        { name: 'people', match: { groups: ['agents', 'dba'] }, effect: 'allow' },
      ],
    });
    for (const [who, key] of [
      ['agent', 'agent-1'],
      ['dba', 'dba-1'],
    ] as const) {
      const connect = spawnHoop(['connect', 'pg', '--port', '0'], {
        HOOP_GATEWAY: gw.url,
        HOOP_TOKEN: gw.keys[key] ?? '',
      });
      connects.push(connect);
      const [, bound] = await connect.waitFor(/^Forwarding \S+:(\d+) to /m);
      ports[who] = Number(bound);
    }
  });

  after(async () => {
    for (const connect of connects) await connect.stop();
    await gw?.close();
    await postgres?.stop();
  });

  /** psql's stdout, as bytes, through the gateway as `who` or straight to the target. */
  const psql = async (who: 'agent' | 'dba' | 'direct', command: string): Promise<Buffer> => {
    const url =
      who === 'direct'
        ? postgres.url
        : `postgres://whoever@127.0.0.1:${ports[who]}/${postgres.database}`;
    const { stdout } = await execFileAsync(
      tool('psql'),
      [url, '-X', '-v', 'ON_ERROR_STOP=1', '-c', command],
      {
        env: { ...process.env, PGPASSWORD: who === 'direct' ? postgres.password : '' },
        encoding: 'buffer',
        timeout: 30_000,
      },
    );
    return stdout;
  };

  it('masks \\copy customers to stdout (text format), escapes and NULLs intact', async () => {
    const out = (await psql('agent', '\\copy customers to stdout')).toString('utf8');
    assert.equal(
      out,
      [
        '1\tJane Doe\tj***@example.com\t**** **** **** 4242\tcall (***) ***-**71',
        '2\tAnn|Lee\\tx\\\\y\ta***@example.org\t************4444\t\\N',
        '3\tNo Mail\t\\N\t\\N\ttwo\\nlines, "quoted"',
        '',
      ].join('\n'),
    );
  });

  it('masks a query copied as CSV with a header', async () => {
    const out = (
      await psql(
        'agent',
        '\\copy (select email, name, notes from customers order by id) to stdout with (format csv, header)',
      )
    ).toString('utf8');
    assert.equal(
      out,
      [
        'email,name,notes',
        'j***@example.com,Jane Doe,call (***) ***-**71',
        'a***@example.org,Ann|Lee\tx\\y,',
        ',No Mail,"two',
        'lines, ""quoted"""',
        '',
      ].join('\n'),
    );
  });

  it("masks with DELIMITER '|' and NULL 'x', escaping the delimiter in values", async () => {
    const out = (
      await psql(
        'agent',
        "copy (select id, name, email from customers order by id) to stdout with (delimiter '|', null 'x')",
      )
    ).toString('utf8');
    assert.equal(
      out,
      [
        '1|Jane Doe|j***@example.com',
        '2|Ann\\|Lee\\tx\\\\y|a***@example.org',
        '3|No Mail|x',
        '',
      ].join('\n'),
    );
  });

  it('sends masked cells of the binary format as NULL (length -1)', async () => {
    const out = await psql('agent', 'copy customers to stdout with (format binary)');
    const rows = decodeBinaryCopy(out);
    assert.equal(rows.length, 3);
    const [first, second] = rows;
    assert.equal(first?.[1]?.toString(), 'Jane Doe');
    assert.equal(first?.[2], null, 'email is masked whole');
    assert.equal(first?.[3], null, 'card_number is masked whole');
    assert.equal(second?.[1]?.toString(), 'Ann|Lee\tx\\y');
    assert.equal(second?.[0]?.readInt32BE(0), 2);
  });

  it('streams byte for byte where no mask applies', async () => {
    for (const command of [
      'copy customers to stdout',
      'copy customers to stdout with (format csv, header)',
      'copy customers to stdout with (format binary)',
    ]) {
      assert.deepEqual(await psql('dba', command), await psql('direct', command), command);
    }
    for (const command of ['copy orders to stdout', 'copy orders to stdout with (format binary)']) {
      assert.deepEqual(await psql('agent', command), await psql('direct', command), command);
    }
  });

  it('refuses a COPY TO it cannot read, naming the rule, and the session goes on', async () => {
    await assert.rejects(
      psql('agent', "copy customers to stdout with (encoding 'latin1')"),
      (error: { stderr: Buffer }) => {
        assert.match(error.stderr.toString(), /pii/);
        assert.match(error.stderr.toString(), /encoding is refused while masking applies/);
        return true;
      },
    );
    const c = new pg.Client({
      host: '127.0.0.1',
      port: ports.agent,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    try {
      await assert.rejects(c.query("copy customers to stdout (encoding 'latin1')"), {
        code: '42501',
      });
      const { rows } = await c.query('select email from customers where id = 1');
      assert.deepEqual(rows, [{ email: 'j***@example.com' }]);
    } finally {
      await c.end();
    }
  });
});

/** The tuples of binary COPY data (sql-copy.html, "Binary Format"): NULL fields as null. */
function decodeBinaryCopy(data: Buffer): (Buffer | null)[][] {
  assert.equal(data.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
  let pos = 15;
  pos += 4 + data.readInt32BE(pos);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const count = data.readInt16BE(pos);
    pos += 2;
    if (count === -1) break;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < count; i++) {
      const length = data.readInt32BE(pos);
      pos += 4;
      row.push(length === -1 ? null : data.subarray(pos, pos + length));
      if (length > 0) pos += length;
    }
    rows.push(row);
  }
  assert.equal(pos, data.length, 'nothing after the trailer');
  return rows;
}
