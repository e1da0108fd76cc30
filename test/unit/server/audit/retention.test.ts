import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { RetentionSchedule, gatewayName } from '../../../../src/server/audit/retention.js';
import type { Logger } from '../../../../src/server/logger.js';
import { openStore, type NewSession } from '../../../../src/server/store/index.js';

const DAY = 86_400_000;

function session(id: string, startedAt: string): NewSession {
  return {
    id,
    subject: 'apikey:a',
    identityName: 'a',
    identityKind: 'agent',
    authMethod: 'apikey',
    groups: [],
    connection: 'pg',
    connectionType: 'postgres',
    clientAddr: '127.0.0.1:1',
    startedAt: new Date(startedAt),
  };
}

/** A logger whose JSON lines the test reads. */
function capture(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('retention schedule', () => {
  it('purges at start what ended before now - retention, records the purge and logs it', async () => {
    const store = await openStore('sqlite::memory:');
    await store.startSession(session('ses_old', '2026-01-01T00:00:00.000Z'));
    await store.endSession('ses_old', {
      endedAt: new Date('2026-01-01T00:10:00.000Z'),
      bytesUp: 0,
      bytesDown: 0,
      closeReason: 'client_closed',
    });
    await store.startSession(session('ses_new', '2026-03-30T00:00:00.000Z'));
    await store.endSession('ses_new', {
      endedAt: new Date('2026-03-30T00:10:00.000Z'),
      bytesUp: 0,
      bytesDown: 0,
      closeReason: 'client_closed',
    });
    await store.appendEvents([
      {
        id: 'evt_1',
        sessionId: 'ses_old',
        seq: 1,
        at: new Date('2026-01-01T00:01:00.000Z'),
        kind: 'statement',
        text: 'select 1',
        kinds: ['select'],
        tables: [],
        decision: 'allow',
      },
    ]);
    const { log, lines } = capture();
    const now = new Date('2026-04-01T00:00:00.000Z');
    const schedule = new RetentionSchedule({
      store,
      retentionMs: 30 * DAY,
      log,
      gateway: 'gw-a',
      now: () => now,
    });
    const purge = await schedule.purge(); // joins the purge the start began
    await schedule.close();
    assert.equal(purge?.sessions, 1);
    assert.equal(purge?.events, 1);
    assert.equal(purge?.cutoff.toISOString(), '2026-03-02T00:00:00.000Z');
    assert.equal(await store.getSession('ses_old'), undefined);
    assert.ok(await store.getSession('ses_new'));
    const [recorded] = await store.listPurges();
    assert.equal(recorded?.id, purge?.id);
    assert.equal(recorded?.gateway, 'gw-a');
    assert.equal(recorded?.at.toISOString(), now.toISOString());
    const logged = lines.filter((line) => line.event === 'audit_purge');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.sessions, 1);
    assert.equal(logged[0]?.events, 1);
    assert.equal(logged[0]?.cutoff, '2026-03-02T00:00:00.000Z');
    await store.close();
  });

  it('purges again every interval', async () => {
    const store = await openStore('sqlite::memory:');
    const { log, lines } = capture();
    const schedule = new RetentionSchedule({ store, retentionMs: DAY, log, intervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await schedule.close();
    const purges = await store.listPurges();
    assert.ok(purges.length >= 3, `purges: ${purges.length}`);
    assert.equal(purges[0]?.gateway, gatewayName());
    assert.equal(lines.filter((line) => line.event === 'audit_purge').length, purges.length);
    await store.close();
  });

  it('logs a purge that fails and keeps going', async () => {
    const store = await openStore('sqlite::memory:');
    await store.close();
    const { log, lines } = capture();
    const schedule = new RetentionSchedule({ store, retentionMs: DAY, log });
    assert.equal(await schedule.purge(), undefined);
    await schedule.close();
    assert.equal(lines.filter((line) => line.event === 'audit_purge_failed').length, 1);
  });
});
