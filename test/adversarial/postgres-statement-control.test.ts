import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dial } from '../../src/tunnel/index.js';
import { agentToken, oidcConfig, startTestIdp } from '../helpers/identity.js';
import {
  CALIBRATE,
  assertAttack,
  fileLeaks,
  isRefusal,
  snapshotChanges,
  type AttackCase,
} from './harness/attack.js';
import { startAdversarialGateway, type AdversarialGateway } from './harness/gateway.js';
import { IDENTITY_POLICY, STATEMENT_POLICY } from './harness/policies.js';
import { startAdversarialTarget, type AdversarialTarget } from './harness/target.js';
import {
  COPY,
  DYNAMIC_SQL,
  EXTENDED,
  LEXER,
  MISCLASSIFIED,
  PROCEDURAL,
  SUPERUSER_EXTRAS,
  SYNTAX,
} from './statement-cases.js';

const CATEGORIES: [string, Omit<AttackCase, 'category'>[]][] = [
  ['procedural code', PROCEDURAL],
  ['what a superuser target role adds', SUPERUSER_EXTRAS],
  ['dynamic SQL and functions that run SQL from a string', DYNAMIC_SQL],
  ['COPY, server files and large objects', COPY],
  ['lexer differences', LEXER],
  ['statements that reach the server unparsed or misclassified', MISCLASSIFIED],
  ['extended protocol', EXTENDED],
  ['syntax errors', SYNTAX],
];

/** A statement of at least `bytes` bytes: a harmless SELECT padded with a comment, then `tail`. */
function padded(bytes: number, tail: string): string {
  return `select 1 /* ${'x'.repeat(bytes)} */; ${tail}`;
}

/** `select 1 … where x = 0 or x = 1 or …` with `terms` terms, then `or <last>`. */
function orChain(terms: number, last: string): string {
  const parts = Array.from({ length: terms }, (_, i) => `x = ${i}`);
  return `select 1 from (values (-1)) v(x) where ${parts.join(' or ')} or ${last}`;
}

describe('postgres statement control under attack', () => {
  let target: AdversarialTarget;
  let gateway: AdversarialGateway;
  before(async () => {
    target = await startAdversarialTarget();
    gateway = await startAdversarialGateway(target, STATEMENT_POLICY);
  });

  after(async () => {
    await gateway?.close();
    await target?.stop();
  });

  for (const [category, cases] of CATEGORIES) {
    describe(category, () => {
      for (const attack of cases) {
        it(attack.name, () => assertAttack({ ...attack, category }, target, gateway));
      }
    });
  }

  describe('oversized inputs', () => {
    /**
     * Sends `sql` on one session while a second session keeps asking
     * `select 1`; returns the slowest answer the second session got while
     * the first was being decided, and what the first got back.
     */
    const underLoad = async (
      sql: string,
    ): Promise<{ slowest: number; error?: { code?: string; message?: string } }> => {
      const port = CALIBRATE ? target.pg.port : await gateway.port('agent-1');
      const config = CALIBRATE
        ? target.directConfig('app')
        : { host: '127.0.0.1', port, user: 'agent', database: target.pg.database };
      const attacker = new pg.Client(config);
      const bystander = new pg.Client(
        CALIBRATE ? config : { ...config, port: await gateway.port('agent-2') },
      );
      attacker.on('error', () => {});
      bystander.on('error', () => {});
      await attacker.connect();
      await bystander.connect();
      let done = false;
      let slowest = 0;
      const probing = (async () => {
        while (!done) {
          const start = Date.now();
          await bystander.query('select 1');
          slowest = Math.max(slowest, Date.now() - start);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      let error: { code?: string; message?: string } | undefined;
      try {
        await attacker.query(sql);
      } catch (caught) {
        error = caught as { code?: string; message?: string };
      } finally {
        done = true;
        await probing;
        await attacker.end().catch(() => {});
        await bystander.end().catch(() => {});
      }
      return error ? { slowest, error } : { slowest };
    };

    const oversized = (name: string, build: () => string, effectPossible = true): void => {
      it(name, async () => {
        await target.reset();
        const baseline = await target.snapshot({ settle: false });
        const mark = gateway.mark();
        const { slowest, error } = await underLoad(build());
        const after = await target.snapshot();
        const effects = [
          ...snapshotChanges(baseline, after),
          ...fileLeaks(target, gateway.receivedSince(mark)),
        ];
        if (CALIBRATE) {
          if (effectPossible) assert.ok(effects.length > 0, 'calibration: no effect');
          return;
        }
        const problems: string[] = [];
        const refused =
          error !== undefined &&
          isRefusal({ step: name, error: { code: error.code, message: error.message } });
        if (!refused) {
          problems.push(
            `not refused: ${error ? `${error.code} ${error.message?.slice(0, 200)}` : 'it ran'}`,
          );
        }
        if (slowest > 1500) {
          problems.push(`another session waited ${slowest} ms for select 1 meanwhile`);
        }
        problems.push(...effects);
        // The gateway is still up for everyone.
        const check = new pg.Client({
          host: '127.0.0.1',
          port: await gateway.port('agent-2'),
          user: 'agent',
          database: target.pg.database,
        });
        await check.connect();
        await check.query('select 1');
        await check.end();
        assert.ok(problems.length === 0, `${name}:\n${problems.map((p) => `* ${p}`).join('\n')}`);
      });
    };

    oversized('a 4 MB statement hiding a DROP after a comment', () =>
      padded(4 * 1024 * 1024, 'drop table canary'),
    );
    oversized('a 200,000-term OR chain ending in pg_terminate_backend', () =>
      orChain(
        200_000,
        "(select bool_or(pg_terminate_backend(pid)) from pg_stat_activity where usename = 'victim')",
      ),
    );
    oversized(
      '100,000 statements, the last a TRUNCATE',
      () => `${'select 1;'.repeat(100_000)} truncate canary`,
    );
    oversized(
      'a DROP after 50,000 nested parentheses',
      () => `drop table canary; select ${'('.repeat(50_000)}1${')'.repeat(50_000)}`,
      false,
    );
  });
});

/**
 * An API key's identity is `apikey:<name>`; an OIDC token's is its `sub`,
 * which the identity provider's administrators (or anyone who may register
 * a client) choose. A client registered as `apikey:agent-1` must not become
 * agent-1: not in policy, not in the audit trail, not for reviews.
 */
describe('identity collisions between API keys and OIDC subjects', () => {
  let target: AdversarialTarget;
  let gateway: AdversarialGateway;
  let idp: Awaited<ReturnType<typeof startTestIdp>>;
  let impostor: string;

  before(async () => {
    if (CALIBRATE) return;
    target = await startAdversarialTarget();
    idp = await startTestIdp({
      agents: [
        {
          clientId: 'apikey:agent-1',
          clientSecret: randomBytes(24).toString('hex'),
          groups: ['support'],
        },
      ],
    });
    gateway = await startAdversarialGateway(target, IDENTITY_POLICY, { oidc: oidcConfig(idp) });
    impostor = await agentToken(idp, 'apikey:agent-1');
  });

  after(async () => {
    await gateway?.close();
    await idp?.close();
    await target?.stop();
  });

  it('an OIDC client named apikey:agent-1 does not get the rules written for the API key agent-1', async (t) => {
    if (CALIBRATE) return t.skip('attacks the gateway’s identities');
    await target.reset();
    const before = await target.snapshot({ settle: false });
    const refusedAtUpgrade = await dial({
      url: `${gateway.gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`,
      token: impostor,
    }).then(
      (ws) => {
        ws.terminate();
        return false;
      },
      // Refused by policy, or at authentication (a provider subject in the apikey: namespace).
      (error: { code?: string }) =>
        error.code === 'HOOP_POLICY_DENIED' || error.code === 'HOOP_AUTH_RESERVED_SUBJECT',
    );
    let outcome = 'the tunnel was refused';
    if (!refusedAtUpgrade) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: await gateway.portForToken(impostor),
        user: 'impostor',
        database: target.pg.database,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query("insert into canary values (99, 'written by the impostor')");
        outcome = 'the INSERT ran';
      } catch (error) {
        const e = error as { code?: string; message?: string };
        outcome = `${e.code} ${e.message}`;
      } finally {
        await client.end().catch(() => {});
      }
    }
    const changes = snapshotChanges(before, await target.snapshot());
    const refused = refusedAtUpgrade || /^42501 hoop:/.test(outcome);
    assert.ok(
      refused && changes.length === 0,
      `the impostor (OIDC sub apikey:agent-1, group support) was treated as the API key agent-1: ${outcome}; ${changes.join('; ')}`,
    );
  });

  it('an OIDC client named apikey:agent-1 does not see the API key agent-1’s audited sessions', async (t) => {
    if (CALIBRATE) return t.skip('attacks the gateway’s identities');
    const marker = `agent-1-private-${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({
      host: '127.0.0.1',
      port: await gateway.port('agent-1'),
      user: 'agent',
      database: target.pg.database,
    });
    await client.connect();
    await client.query(`select '${marker}' as note`);
    await client.end();
    const own = await gateway.api('agent-1', 'GET', '/api/sessions');
    const ids = new Set((own.json.sessions as { id: string }[]).map((session) => session.id));
    assert.ok(ids.size > 0, 'agent-1 sees its own sessions');
    const response = await fetch(`${gateway.gw.url}/api/sessions`, {
      headers: { authorization: `Bearer ${impostor}` },
    });
    const body = (await response.json()) as { sessions?: { id: string }[] };
    const seen = (body.sessions ?? []).filter((session) => ids.has(session.id));
    const texts: string[] = [];
    for (const session of seen) {
      const events = await fetch(`${gateway.gw.url}/api/sessions/${session.id}/events`, {
        headers: { authorization: `Bearer ${impostor}` },
      });
      texts.push(await events.text());
    }
    assert.ok(
      seen.length === 0,
      `the impostor lists ${seen.length} of agent-1's sessions${texts.some((t) => t.includes(marker)) ? ', with their statements' : ''}`,
    );
  });

  it('an OIDC client named apikey:agent-1 cannot run a DELETE approved for the API key agent-1', async (t) => {
    if (CALIBRATE) return t.skip('attacks the gateway’s identities');
    await target.reset();
    const before = await target.snapshot({ settle: false });
    const sql = 'delete from canary where id = 5';
    const asked = await gateway.exec(['pg', '-i', sql]);
    const id = /\b(rev_[a-z0-9]+)\b/.exec(asked.stderr.toString())?.[1];
    assert.equal(asked.code, 4, `agent-1's DELETE waits for a review: ${asked.stderr.toString()}`);
    assert.ok(id, 'the review ID is printed');
    const approved = await gateway.api('dba-1', 'POST', `/api/reviews/${id}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    const used = await gateway.exec(['pg', '--review', id, '-i', sql], impostor);
    const changes = snapshotChanges(before, await target.snapshot());
    assert.ok(
      used.code !== 0 && changes.length === 0,
      `the impostor ran agent-1's approved DELETE (exit ${used.code}): ${changes.join('; ')} ${used.stderr.toString()}`,
    );
  });
});
