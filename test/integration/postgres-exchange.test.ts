import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  buildBind,
  buildClose,
  buildDescribe,
  buildExecute,
  buildParse,
  buildQuery,
  buildSync,
} from '../../src/server/protocols/postgres/protocol/index.js';
import type { StatementEvent } from '../../src/server/store/index.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { errorsOf, PgWire, rowsOf } from '../helpers/pg-wire.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { eventually } from '../helpers/tunnel.js';

const SECRET = 'alice.secret@example.com';
const MASKED = 'a***@example.com';
const MASKED_ROW = ['Alice', MASKED];

/**
 * The gateway follows what the target did with each extended-protocol
 * message, not what the client sent (src/server/protocols/postgres/exchange.ts).
 * Each case is a message sequence that would make a view built from the
 * client's messages differ from the server's, and checks what the client
 * gets (masked rows) and what is recorded (the statement the server ran).
 * A raw wire client sends the sequences; drivers never send them. (A masked
 * statement's portal executed without any Describe has its rows NULLed: the
 * cases describe their portals, as drivers do.)
 */
describe('postgres exchange: the gateway’s view follows the target’s', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  const wires: PgWire[] = [];

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, name text, email text)');
    await admin.query(`insert into customers values (1, 'Alice', '${SECRET}')`);
    await admin.query('create table notes (id int primary key, body text)');
    await admin.query("insert into notes values (1, 'hello')");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
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
          mask: { columns: ['customers.email'] },
        },
        {
          name: 'deletes-need-review',
          match: { groups: ['agents'], statements: ['delete'] },
          effect: 'review',
          review: { approvers: ['dba'], approvals: 1, timeout: '1m' },
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
  });

  after(async () => {
    for (const wire of wires) wire.close();
    await gw?.close();
    await postgres?.stop();
  });

  const open = async (): Promise<PgWire> => {
    const wire = await PgWire.open(gw.url, gw.keys['agent-1']!, 'pg');
    wires.push(wire);
    return wire;
  };

  const MASKED_SELECT = 'select name, email from customers where id = 1';

  it('a Close skipped after an error leaves the statement masked', async () => {
    const wire = await open();
    wire.send(buildParse('s', MASKED_SELECT, []), buildSync());
    await wire.untilReady();
    // The bad Parse fails; the target discards the Close up to Sync.
    wire.send(buildParse('bad', 'selec nothing', []), buildClose('S', 's'), buildSync());
    assert.equal(errorsOf(await wire.untilReady()).length, 1);
    wire.send(buildBind('', 's'), buildDescribe('P', ''), buildExecute(''), buildSync());
    const answer = await wire.untilReady();
    assert.deepEqual(rowsOf(answer), [MASKED_ROW]);
  });

  it('a re-Parse of an existing name that the target refuses changes nothing', async () => {
    const wire = await open();
    wire.send(buildParse('n', MASKED_SELECT, []), buildSync());
    await wire.untilReady();
    wire.send(buildParse('n', "select 'harmless', 'text'", []), buildSync());
    assert.deepEqual(errorsOf(await wire.untilReady()), ['42P05']); // duplicate_prepared_statement
    wire.send(buildBind('', 'n'), buildDescribe('P', ''), buildExecute(''), buildSync());
    assert.deepEqual(rowsOf(await wire.untilReady()), [MASKED_ROW]);
  });

  it('a Parse skipped after an error does not replace the unnamed statement', async () => {
    const wire = await open();
    wire.send(buildParse('', MASKED_SELECT, []), buildSync());
    await wire.untilReady();
    wire.send(
      buildParse('x', 'selec nothing', []),
      buildParse('', "select 'harmless', 'text'", []),
      buildSync(),
    );
    await wire.untilReady();
    wire.send(buildBind('', ''), buildDescribe('P', ''), buildExecute(''), buildSync());
    assert.deepEqual(rowsOf(await wire.untilReady()), [MASKED_ROW]);
    // The record names what the target ran, not the skipped Parse.
    const events = await eventsOfLatestSession(gw, 2);
    assert.equal(events.at(-1)?.text, MASKED_SELECT);
  });

  it('a simple Query the target discards after an error does not take over the next result', async () => {
    const wire = await open();
    // The failing Parse starts the skip; the Query and everything up to Sync are discarded.
    wire.send(buildParse('x', 'selec nothing', []), buildQuery('select 1'), buildSync());
    const skipped = await wire.untilReady();
    assert.equal(errorsOf(skipped).length, 1);
    wire.send(buildQuery(MASKED_SELECT));
    assert.deepEqual(rowsOf(await wire.untilReady()), [MASKED_ROW]);
  });

  it('keeps named and unnamed portals apart, executed in any order', async () => {
    const wire = await open();
    wire.send(
      buildParse('masked', MASKED_SELECT, []),
      buildParse('plain', 'select id, body from notes where id = 1', []),
      buildBind('p', 'masked'),
      buildBind('', 'plain'),
      buildDescribe('P', ''),
      buildExecute(''),
      buildDescribe('P', 'p'),
      buildExecute('p'),
      buildExecute('p'),
      buildSync(),
    );
    const answer = await wire.untilReady();
    assert.deepEqual(errorsOf(answer), []);
    // `p` is drained by its first Execute; its second returns no rows.
    assert.deepEqual(rowsOf(answer), [['1', 'hello'], MASKED_ROW]);
  });

  it('follows pipelined batches and a simple Query between them', async () => {
    const wire = await open();
    wire.send(
      buildParse('a', 'select id, body from notes', []),
      buildBind('', 'a'),
      buildDescribe('P', ''),
      buildExecute(''),
      buildSync(),
      buildQuery(`select email from customers; select 'plain'`),
      buildParse('b', MASKED_SELECT, []),
      buildBind('', 'b'),
      buildDescribe('P', ''),
      buildExecute(''),
      buildSync(),
    );
    const answer = await wire.untilReady(3);
    assert.deepEqual(errorsOf(answer), []);
    assert.deepEqual(rowsOf(answer), [['1', 'hello'], [MASKED], ['plain'], MASKED_ROW]);
  });

  it('masks rows of a SQL-level cursor executed through the protocol (fail closed)', async () => {
    const wire = await open();
    wire.send(buildQuery(`begin; declare c cursor for ${MASKED_SELECT}`));
    await wire.untilReady();
    wire.send(buildExecute('c'), buildSync());
    const answer = await wire.untilReady();
    const rows = rowsOf(answer);
    assert.equal(rows.length, 1);
    assert.ok(!rows.flat().includes(SECRET), 'the secret never reaches the client');
  });

  it('holds a statement for review with the Sync behind it, then runs it and what follows', async () => {
    const wire = await open();
    wire.send(
      buildParse('d', 'delete from notes where id = 1', []),
      buildBind('', 'd'),
      buildDescribe('P', ''),
      buildExecute(''),
      buildSync(),
      buildQuery(MASKED_SELECT),
    );
    const review = await pendingReview(gw, /delete from notes/);
    const approved = await fetch(`${gw.url}/api/reviews/${review}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.keys['dba-1']}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(approved.status, 200);
    const answer = await wire.untilReady(2);
    assert.deepEqual(errorsOf(answer), []);
    assert.ok(
      answer.some((m) => m.message.type === 'commandComplete' && m.message.tag === 'DELETE 1'),
    );
    assert.deepEqual(rowsOf(answer), [MASKED_ROW]);
  });
});

/** The statement events of the most recent session, once it has at least `count`. */
async function eventsOfLatestSession(gw: TestGateway, count: number): Promise<StatementEvent[]> {
  let events: StatementEvent[] = [];
  await eventually(
    async () => {
      const [session] = await gw.gateway.store.listSessions({ connection: 'pg', limit: 1 });
      events = session ? ((await gw.gateway.store.listEvents(session.id)) as StatementEvent[]) : [];
      return events.length >= count;
    },
    () => `${count} events (have ${events.length})`,
  );
  return events;
}

/** The ID of the pending review whose text matches, as an approver lists it. */
async function pendingReview(gw: TestGateway, text: RegExp): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${gw.url}/api/reviews`, {
      headers: { authorization: `Bearer ${gw.keys['dba-1']}` },
    });
    const { reviews } = (await response.json()) as { reviews: { id: string; text?: string }[] };
    const review = reviews.find((r) => text.test(r.text ?? ''));
    if (review) return review.id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pending review matching ${text}`);
}
