import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HoopError } from '../../src/lib/errors.js';
import type { DevIdp } from '../../src/server/idp/index.js';
import { ReviewDesk, type ReviewRequester } from '../../src/server/reviews/index.js';
import { openStore, type Store } from '../../src/server/store/index.js';
import { runHoop } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { oidcConfig, startTestIdp } from '../helpers/identity.js';

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/identity-v1',
);

interface Fixture {
  writtenAt: string;
  sessions: { id: string; subject: string; authMethod: string }[];
  reviews: Record<
    'forgedGrant' | 'keyGrant' | 'aliceGrant' | 'forgedStatement' | 'keyStatement' | 'alicePending',
    string
  >;
}

/**
 * A store written before identity namespaces (test/fixtures/identity-v1), in
 * which a provider token with `sub: apikey:agent-1` opened sessions, asked
 * for reviews and voted as the API key, still verifies as written and after
 * the current migrations; and once migrated, none of the forged rows is
 * taken for the key's, while people's rows keep their meaning.
 */
describe('a store from before identity namespaces', { timeout: 120_000 }, () => {
  let dir: string;
  let fixture: Fixture;
  const key = path.join(FIXTURE, 'audit-key.pub');
  const sessionsBy = (method: string, subject: string): string[] =>
    fixture.sessions
      .filter((s) => s.authMethod === method && s.subject === subject)
      .map((s) => s.id)
      .sort();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-identity-legacy-'));
    fixture = JSON.parse(await readFile(path.join(FIXTURE, 'fixture.json'), 'utf8')) as Fixture;
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the fixture's store, and a config naming it. */
  const copy = async (name: string): Promise<{ db: string; config: string }> => {
    const db = path.join(dir, `${name}.db`);
    const config = path.join(dir, `${name}.yaml`);
    await copyFile(path.join(FIXTURE, 'hoop.db'), db);
    await writeFile(config, `listen: 127.0.0.1:0\nstore: sqlite:${db}\n`);
    return { db, config };
  };

  const verify = async (config: string) => {
    const result = await runHoop([
      'audit',
      'verify',
      '--config',
      config,
      '--public-key',
      key,
      '--json',
    ]);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    return JSON.parse(result.stdout) as { intact: boolean; sessions: number; sealed: number };
  };

  it('holds the collision: two sessions of the key and two of a token with its subject', () => {
    assert.equal(sessionsBy('apikey', 'apikey:agent-1').length, 2);
    assert.equal(sessionsBy('oidc', 'apikey:agent-1').length, 2);
    assert.equal(sessionsBy('oidc', 'alice').length, 2);
  });

  it('verifies as written and after migration 0008 (sessions are never rewritten)', async () => {
    const { db, config } = await copy('verify');
    const asWritten = await verify(config);
    assert.deepEqual([asWritten.intact, asWritten.sessions, asWritten.sealed], [true, 6, 6]);
    const store = await openStore(`sqlite:${db}`);
    await store.close();
    const migrated = await verify(config);
    assert.deepEqual([migrated.intact, migrated.sessions, migrated.sealed], [true, 6, 6]);
  });

  describe('migrated, read by the desk as of when it was written', () => {
    let store: Store;
    let desk: ReviewDesk;
    const agent1: ReviewRequester = {
      method: 'apikey',
      subject: 'apikey:agent-1',
      name: 'agent-1',
      groups: ['agents'],
    };
    const alice: ReviewRequester = {
      method: 'oidc',
      subject: 'alice',
      name: 'alice@example.com',
      groups: ['engineering'],
    };

    before(async () => {
      const { db } = await copy('desk');
      store = await openStore(`sqlite:${db}`);
      const at = new Date(Date.parse(fixture.writtenAt) + 60_000);
      desk = new ReviewDesk({ store, now: () => at });
    });
    after(async () => {
      desk?.close();
      await store?.close();
    });

    it('knows people’s reviews as theirs, and the apikey: ones as of unknown kind', async () => {
      const { reviews } = fixture;
      assert.equal((await store.getReview(reviews.aliceGrant))?.requester.method, 'oidc');
      for (const id of [reviews.forgedGrant, reviews.keyGrant, reviews.forgedStatement]) {
        assert.equal((await store.getReview(id))?.requester.method, undefined, id);
      }
    });

    it('the person’s grant still admits her; neither apikey:agent-1 grant admits anyone', async () => {
      assert.equal((await desk.activeGrant(alice, 'guarded'))?.id, fixture.reviews.aliceGrant);
      assert.equal(await desk.activeGrant(agent1, 'guarded'), undefined);
      assert.equal(await desk.activeGrant({ ...agent1, method: 'oidc' }, 'guarded'), undefined);
    });

    it('the forged token’s approved statement is not the key’s to run (nor, unproven, the key’s own)', async () => {
      for (const [id, text] of [
        [fixture.reviews.forgedStatement, 'delete from t where id = 1'],
        [fixture.reviews.keyStatement, 'delete from t where id = 2'],
      ] as const) {
        await assert.rejects(desk.consume(id, agent1, 'pg', text), (error: unknown) => {
          assert.ok(error instanceof HoopError);
          assert.equal(error.code, 'HOOP_REVIEW_MISMATCH');
          return true;
        });
      }
    });

    it('the vote a token cast as apikey:dba on alice’s review does not count', async () => {
      const bob: ReviewRequester = {
        method: 'oidc',
        subject: 'bob',
        name: 'bob@example.com',
        groups: ['dba'],
      };
      const review = await desk.decide(fixture.reviews.alicePending, bob, 'approve');
      assert.equal(review.status, 'pending', 'one proven approval of the two needed');
      // And the real dba key cannot be told from the vote cast in its name: it may not vote again.
      await assert.rejects(
        desk.decide(
          fixture.reviews.alicePending,
          { method: 'apikey', subject: 'apikey:dba', name: 'dba', groups: ['dba'] },
          'approve',
        ),
        (error: unknown) =>
          error instanceof HoopError && error.code === 'HOOP_REVIEW_ALREADY_VOTED',
      );
    });
  });

  describe('migrated, served by a gateway', () => {
    let idp: DevIdp;
    let gw: TestGateway;

    before(async () => {
      const { db } = await copy('gateway');
      idp = await startTestIdp();
      gw = await startTestGateway({
        connections: '  - { name: pg, type: tcp, host: 127.0.0.1, port: 9, groups: [agents] }',
        store: `sqlite:${db}`,
        oidc: oidcConfig(idp),
        keys: [
          { name: 'agent-1', groups: ['agents'] },
          { name: 'auditor', groups: ['auditors'] },
        ],
        audit: 'audit:\n  auditors: [auditors]',
      });
    });
    after(async () => {
      await gw?.close();
      await idp?.close();
    });

    const sessions = async (token: string, query = ''): Promise<string[]> => {
      const response = await fetch(`${gw.url}/api/sessions?limit=100${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      const json = (await response.json()) as { sessions: { id: string }[] };
      return json.sessions.map((s) => s.id).sort();
    };

    it('the key agent-1 sees its own two sessions, not the forged token’s', async () => {
      assert.deepEqual(
        await sessions(gw.keys['agent-1'] ?? ''),
        sessionsBy('apikey', 'apikey:agent-1'),
      );
      for (const id of sessionsBy('oidc', 'apikey:agent-1')) {
        const response = await fetch(`${gw.url}/api/sessions/${id}/events`, {
          headers: { authorization: `Bearer ${gw.keys['agent-1']}` },
        });
        assert.equal(response.status, 404);
      }
    });

    it('alice, back with a new login, still sees her sessions from before', async () => {
      const token = await idp.signToken({ sub: 'alice', groups: ['engineering'] });
      assert.deepEqual(await sessions(token), sessionsBy('oidc', 'alice'));
    });

    it('an auditor tells the key from the token that posed as it', async () => {
      const auditor = gw.keys['auditor'] ?? '';
      assert.deepEqual(
        await sessions(auditor, '&user=apikey:agent-1'),
        sessionsBy('apikey', 'apikey:agent-1'),
      );
      assert.deepEqual(
        await sessions(auditor, `&user=${encodeURIComponent('oidc:apikey:agent-1')}`),
        sessionsBy('oidc', 'apikey:agent-1'),
      );
      const response = await fetch(`${gw.url}/api/sessions?limit=100`, {
        headers: { authorization: `Bearer ${auditor}` },
      });
      const all = ((await response.json()) as { sessions: Record<string, unknown>[] }).sessions;
      const principals = all.map((s) => s.principal).sort();
      assert.deepEqual(principals, [
        'apikey:agent-1',
        'apikey:agent-1',
        'oidc:alice',
        'oidc:alice',
        'oidc:apikey:agent-1',
        'oidc:apikey:agent-1',
      ]);
    });
  });
});
