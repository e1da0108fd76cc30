import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/server/store/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { eventually } from '../helpers/tunnel.js';

/** `audit.retention` through the real gateway: the purge at start, recorded in the store. */
describe('audit retention', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('purges sessions that ended longer ago than audit.retention when the gateway starts, and records the purge', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-retention-'));
    dirs.push(dir);
    const url = `sqlite:${path.join(dir, 'hoop.db')}`;
    const now = Date.now();
    const seed = await openStore(url);
    const base = {
      subject: 'apikey:agent-1',
      identityName: 'agent-1',
      identityKind: 'agent',
      authMethod: 'apikey',
      groups: ['agents'],
      connection: 'pg',
      connectionType: 'postgres',
      clientAddr: '127.0.0.1:1',
    };
    const end = (at: number) => ({
      endedAt: new Date(at),
      bytesUp: 0,
      bytesDown: 0,
      closeReason: 'client_closed' as const,
    });
    await seed.startSession({
      ...base,
      id: 'ses_old',
      startedAt: new Date(now - 100 * 86_400_000),
    });
    await seed.endSession('ses_old', end(now - 95 * 86_400_000));
    await seed.startSession({ ...base, id: 'ses_recent', startedAt: new Date(now - 86_400_000) });
    await seed.endSession('ses_recent', end(now - 86_000_000));
    await seed.close();

    const gw = await startTestGateway({
      connections: '  - { name: echo, type: tcp, host: 127.0.0.1, port: 9, groups: [agents] }',
      store: url,
      audit: 'audit:\n  retention: 90d',
    });
    try {
      const { store } = gw.gateway;
      await eventually(async () => (await store.listPurges()).length === 1, 'a purge recorded');
      const [purge] = await store.listPurges();
      assert.equal(purge?.sessions, 1);
      assert.match(purge?.gateway ?? '', new RegExp(`/${process.pid}$`));
      assert.ok(
        Math.abs((purge?.cutoff.getTime() ?? 0) - (now - 90 * 86_400_000)) < 60_000,
        'cutoff is now - 90 days',
      );
      assert.equal(await store.getSession('ses_old'), undefined);
      assert.ok(await store.getSession('ses_recent'));
    } finally {
      await gw.close();
    }
  });
});
