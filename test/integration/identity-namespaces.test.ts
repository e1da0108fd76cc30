// Identity namespaces, attacked end to end: an identity provider's subjects
// and API key names never meet. A real gateway, a real PostgreSQL, the
// development identity provider (a real oidc-provider: its device login, its
// client-credentials grant, and tokens signed with its own key for accounts
// shaped as an attacker would shape them), the built CLI (run `npm run
// build` first) and the tunnel. Every case is written as the attacker tries it.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { DevIdp } from '../../src/server/idp/index.js';
import { dial } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { startEchoServer, type TestServer } from '../helpers/echo-server.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  agentToken,
  assertCliFailure,
  captureLogs,
  loginWithCli,
  oidcConfig,
  personEnv,
  startTestIdp,
  tempConfigDir,
} from '../helpers/identity.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { eventually } from '../helpers/tunnel.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, read field by field in assertions
type Json = any;

const RESERVED = /starts with "(apikey|oidc):", which the gateway reserves/;
const RESERVED_ADVICE = /An identity of one kind cannot pass for another/;

describe(
  'identity namespaces: provider subjects and API keys never meet',
  { timeout: 300_000 },
  () => {
    let postgres: PgInstance;
    let echo: TestServer;
    let idp: DevIdp;
    let gw: TestGateway;
    let logs: string[];
    const cleanups: (() => Promise<void>)[] = [];
    /** Bearer tokens by who holds them: API keys, and provider tokens. */
    const tokens: Record<string, string> = {};

    /** A provider token for claims an account at the IdP could have, signed with the IdP's key. */
    const providerToken = (claims: Record<string, unknown>) =>
      idp.signToken(claims, { expiresInSeconds: 3600 });

    before(async () => {
      [postgres, echo] = await Promise.all([startPostgres(), startEchoServer()]);
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query('create table t (id int primary key, note text)');
      await admin.query(`insert into t select i, 'row ' || i from generate_series(1, 20) i`);
      await admin.end();
      idp = await startTestIdp({
        users: [
          {
            // Someone who registered at the identity provider under the API key's subject.
            username: 'apikey:agent-1',
            password: 'mallory-password',
            email: 'mallory@example.com',
            name: 'Mallory',
            groups: ['agents'],
          },
        ],
        agents: [
          // A client registered under the approver key's subject (client-credentials tokens carry sub = client id).
          { clientId: 'apikey:dba', clientSecret: 'secret-of-the-forged-client', groups: ['dba'] },
        ],
      });
      const capture = captureLogs();
      logs = capture.lines;
      const tcp = (name: string) =>
        `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents, engineering] }`;
      gw = await startTestGateway({
        connections: [
          postgresConnection(postgres, 'pg', ['agents', 'engineering', 'dba']),
          ...['guarded', 'key-only-1', 'key-only-2', 'key-only-3'].map(tcp),
          ...['alice-only-1', 'alice-only-2', 'alice-only-3'].map(tcp),
        ].join('\n'),
        env: { PG_PASSWORD: postgres.password },
        oidc: oidcConfig(idp),
        keys: [
          { name: 'agent-1', groups: ['agents'] },
          { name: 'dba', groups: ['dba'] },
          { name: 'alice', groups: ['agents'] },
          { name: 'auditor', groups: ['auditors'] },
        ],
        audit: 'audit:\n  auditors: [auditors]',
        logger: capture.logger,
        policy: [
          {
            name: 'guarded-needs-grant',
            match: { connections: ['guarded'] },
            effect: 'review',
            review: { approvers: ['dba'], approvals: 1, timeout: '5m' },
          },
          {
            name: 'guarded-members',
            match: { connections: ['guarded'], groups: ['agents', 'engineering'] },
            effect: 'allow',
          },
          {
            name: 'deletes-need-review',
            match: { connections: ['pg'], statements: ['delete'] },
            effect: 'review',
            review: { approvers: ['dba'], approvals: 1, timeout: '5m' },
          },
          {
            name: 'members',
            match: { connections: ['pg'], groups: ['agents', 'engineering', 'dba'] },
            effect: 'allow',
          },
          // Three ways of writing a rule for the API key agent-1 …
          {
            name: 'key-by-api-keys',
            match: { connections: ['key-only-1'], apiKeys: ['agent-1'] },
            effect: 'allow',
          },
          {
            name: 'key-by-principal',
            match: { connections: ['key-only-2'], users: ['apikey:agent-1'] },
            effect: 'allow',
          },
          {
            name: 'key-by-condition',
            match: { connections: ['key-only-3'] },
            when: 'identity.principal == "apikey:agent-1"',
            effect: 'allow',
          },
          // … and three for the person alice.
          {
            name: 'alice-by-subject',
            match: { connections: ['alice-only-1'], users: ['alice'] },
            effect: 'allow',
          },
          {
            name: 'alice-by-email',
            match: { connections: ['alice-only-2'], users: ['alice@example.com'] },
            effect: 'allow',
          },
          {
            name: 'alice-by-principal',
            match: { connections: ['alice-only-3'], users: ['oidc:alice'] },
            effect: 'allow',
          },
        ],
      });
      Object.assign(tokens, gw.keys);
      tokens['forged'] = await providerToken({
        sub: 'apikey:agent-1',
        name: 'agent-1',
        groups: ['agents'],
      });
      tokens['forgedDba'] = await providerToken({
        sub: 'apikey:dba',
        name: 'dba',
        groups: ['dba'],
      });
      // People whose display name is the key's name: they authenticate, as themselves.
      tokens['namesake'] = await providerToken({
        sub: 'u-mallory',
        name: 'agent-1',
        groups: ['agents'],
      });
      tokens['usernamesake'] = await providerToken({
        sub: 'u-trudy',
        preferred_username: 'agent-1',
        groups: ['agents'],
      });
      tokens['person-alice'] = await providerToken({
        sub: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        groups: ['engineering'],
      });
    });

    after(async () => {
      await gw?.close();
      await Promise.all([idp?.close(), echo?.close(), postgres?.stop()]);
      await Promise.all(cleanups.map((cleanup) => cleanup()));
    });

    const env = (who: string): NodeJS.ProcessEnv => ({
      HOOP_GATEWAY: gw.url,
      HOOP_TOKEN: tokens[who] ?? '',
      HOOP_TOKEN_STORE: 'file',
    });

    const api = async (
      who: string,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: Json }> => {
      const response = await fetch(`${gw.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[who] ?? ''}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    };

    /** Opens a tunnel to `connection` as `who` and closes it: resolves, or rejects with the refusal's code. */
    const openTunnel = async (who: string, connection: string): Promise<void> => {
      const ws = await dial({
        url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${connection}`,
        token: tokens[who] ?? '',
      });
      ws.close();
    };

    /** The refusal code of opening `connection` as `who`, or 'opened'. */
    const tunnelOutcome = (who: string, connection: string): Promise<string> =>
      openTunnel(who, connection).then(
        () => 'opened',
        (error: { code?: string }) => error.code ?? String(error),
      );

    const assertReservedRefusal = async (status: number, json: Json): Promise<void> => {
      assert.equal(status, 401, JSON.stringify(json));
      assert.equal(json.error.code, 'HOOP_AUTH_RESERVED_SUBJECT');
      assert.equal(json.error.reason, 'reserved_subject');
      assert.match(json.error.message, RESERVED);
    };

    /** `hoop exec pg` as `who`; the review id it waits for, if any. */
    const exec = async (who: string, sql: string, ...args: string[]) => {
      const result = await runHoop(['exec', 'pg', ...args, '-i', sql], env(who));
      return { ...result, review: /rev_[0-9a-z]+/.exec(result.stderr)?.[0] };
    };

    /** A statement review `who` asks for and the dba key approves: its id. */
    const approvedStatement = async (who: string, sql: string): Promise<string> => {
      const held = await exec(who, sql);
      assert.equal(held.code, 4, held.stderr);
      assert.ok(held.review, held.stderr);
      const decided = await api('dba', 'POST', `/api/reviews/${held.review}/approve`, {});
      assert.equal(decided.json.status, 'approved', JSON.stringify(decided.json));
      return held.review;
    };

    /** A grant on `guarded` that `who` asks for and the dba key approves. */
    const approvedGrant = async (who: string): Promise<string> => {
      const asked = await api(who, 'POST', '/api/reviews', {
        connection: 'guarded',
        duration: '30m',
        reason: `for ${who}`,
      });
      assert.equal(asked.status, 201, JSON.stringify(asked.json));
      const decided = await api('dba', 'POST', `/api/reviews/${asked.json.id}/approve`, {});
      assert.equal(decided.json.status, 'approved');
      return asked.json.id as string;
    };

    /** Session ids `who` may list as their own, and (by an auditor) for a `--user` filter. */
    const ownSessions = async (who: string): Promise<string[]> => {
      const { status, json } = await api(who, 'GET', '/api/sessions?limit=1000');
      assert.equal(status, 200, JSON.stringify(json));
      return (json.sessions as Json[]).map((s) => s.id as string);
    };
    const sessionsOf = async (user: string): Promise<Json[]> => {
      const result = await runHoop(
        ['audit', 'list', '--json', '--user', user, '--limit', '1000'],
        env('auditor'),
      );
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout).sessions as Json[];
    };

    describe('a provider token claiming the API key’s subject is refused at the door', () => {
      it('a person who signed up at the provider as "apikey:agent-1" cannot log in: hoop login exits 5', async () => {
        const config = await tempConfigDir();
        cleanups.push(config.remove);
        const login = await loginWithCli(idp, personEnv(gw, config.dir), 'apikey:agent-1');
        assert.equal(login.code, 5, JSON.stringify(login));
        assert.match(login.stderr, /HOOP_AUTH_RESERVED_SUBJECT|reserves/);
        assert.doesNotMatch(login.stderr, /Logged in/);
        // Their stored login is no better afterwards.
        const whoami = await runHoop(['whoami'], personEnv(gw, config.dir));
        assertCliFailure(whoami, 5, RESERVED, RESERVED_ADVICE);
      });

      it('a client registered as "apikey:dba" gets real client-credentials tokens that open nothing', async () => {
        tokens['forgedClient'] = await agentToken(idp, 'apikey:dba');
        const whoami = await api('forgedClient', 'GET', '/api/whoami');
        await assertReservedRefusal(whoami.status, whoami.json);
        assert.equal(
          await tunnelOutcome('forgedClient', 'key-only-1'),
          'HOOP_AUTH_RESERVED_SUBJECT',
        );
        assertCliFailure(
          await runHoop(['connect', 'key-only-1', '--port', '0'], env('forgedClient')),
          5,
          RESERVED,
          RESERVED_ADVICE,
        );
      });

      it('the same subject in other spellings is refused too (APIKEY:, ApiKey:, oidc:)', async () => {
        for (const sub of [
          'APIKEY:agent-1',
          'ApiKey:agent-1',
          'oidc:alice',
          'OIDC:apikey:agent-1',
        ]) {
          tokens['variant'] = await providerToken({ sub, groups: ['agents'] });
          const { status, json } = await api('variant', 'GET', '/api/whoami');
          await assertReservedRefusal(status, json);
          assert.equal(json.error.subject, sub);
        }
      });

      it('an actor claiming to be the API key is refused, even where delegation allows anyone', async () => {
        const open = await startTestGateway({
          connections: `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [engineering] }`,
          oidc: oidcConfig(idp),
          delegation: [{ actors: ['apikey:agent-1', 'agent-x'], subjects: ['*'] }],
        });
        cleanups.push(() => open.close());
        const token = await providerToken({
          sub: 'alice',
          groups: ['engineering'],
          act: { sub: 'apikey:agent-1' },
        });
        const response = await fetch(`${open.url}/api/whoami`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const json = (await response.json()) as Json;
        assert.equal(response.status, 401);
        assert.equal(json.error.code, 'HOOP_AUTH_RESERVED_SUBJECT');
        assert.match(json.error.message, /actor \(act\) subject starts with "apikey:"/);
      });

      it('cannot open a session as agent-1, not even on connections only agent-1 may use', async () => {
        for (const connection of ['key-only-1', 'key-only-2', 'key-only-3', 'pg']) {
          assert.equal(await tunnelOutcome('forged', connection), 'HOOP_AUTH_RESERVED_SUBJECT');
        }
        const exec1 = await exec('forged', 'select 1');
        assertCliFailure(exec1, 5, RESERVED, RESERVED_ADVICE);
      });

      it('cannot list, read or export agent-1’s sessions', async () => {
        await exec('agent-1', "select 'agent-1 was here'");
        const [mine] = await ownSessions('agent-1');
        assert.ok(mine);
        for (const path of [
          '/api/sessions',
          `/api/sessions/${mine}`,
          `/api/sessions/${mine}/events`,
          '/api/audit/events?since=1h',
        ]) {
          const { status, json } = await api('forged', 'GET', path);
          await assertReservedRefusal(status, json);
        }
        assertCliFailure(
          await runHoop(['audit', 'list'], env('forged')),
          5,
          RESERVED,
          RESERVED_ADVICE,
        );
      });

      it('cannot hear agent-1’s statements in the live tail', async () => {
        const response = await fetch(`${gw.url}/api/audit/tail`, {
          headers: { authorization: `Bearer ${tokens['forged']}` },
        });
        assert.equal(response.status, 401);
        assert.equal(((await response.json()) as Json).error.code, 'HOOP_AUTH_RESERVED_SUBJECT');
      });

      it('cannot consume agent-1’s approved review, which agent-1 then runs', async () => {
        const id = await approvedStatement('agent-1', 'delete from t where id = 1');
        const stolen = await exec('forged', 'delete from t where id = 1', '--review', id);
        assertCliFailure(stolen, 5, RESERVED, RESERVED_ADVICE);
        assert.equal((await api('agent-1', 'GET', `/api/reviews/${id}`)).json.status, 'approved');
        const ran = await exec('agent-1', 'delete from t where id = 1', '--review', id);
        assert.equal(ran.code, 0, ran.stderr);
        assert.match(ran.stdout, /DELETE 1/);
      });

      it('cannot see, vote on or pose as the approver of agent-1’s pending review', async () => {
        const held = await exec('agent-1', 'delete from t where id = 2');
        assert.ok(held.review);
        for (const who of ['forged', 'forgedDba']) {
          for (const [method, path] of [
            ['GET', `/api/reviews/${held.review}`],
            ['GET', '/api/reviews?mine=true'],
            ['POST', `/api/reviews/${held.review}/approve`],
            ['POST', `/api/reviews/${held.review}/reject`],
          ] as const) {
            const { status, json } = await api(
              who,
              method,
              path,
              method === 'POST' ? { reason: 'x' } : undefined,
            );
            await assertReservedRefusal(status, json);
          }
        }
        const review = (await api('agent-1', 'GET', `/api/reviews/${held.review}`)).json;
        assert.equal(review.status, 'pending');
        assert.deepEqual(review.votes, []);
      });

      it('cannot use agent-1’s access grant', async () => {
        await approvedGrant('agent-1');
        assert.equal(await tunnelOutcome('agent-1', 'guarded'), 'opened');
        assert.equal(await tunnelOutcome('forged', 'guarded'), 'HOOP_AUTH_RESERVED_SUBJECT');
      });

      it('logs every such refusal with its subject, never the token', () => {
        const refused = logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((entry) => entry['event'] === 'auth_refused');
        assert.ok(refused.some((entry) => entry['subject'] === 'apikey:agent-1'));
        assert.ok(refused.every((entry) => entry['code'] === 'HOOP_AUTH_RESERVED_SUBJECT'));
        const text = logs.join('');
        assert.ok(!text.includes(tokens['forged'] ?? '-'), 'the token is not logged');
      });
    });

    describe('a person who took the API key’s name gets none of its rights', () => {
      it('authenticates as themselves: whoami names their own principal', async () => {
        for (const [who, principal] of [
          ['namesake', 'oidc:u-mallory'],
          ['usernamesake', 'oidc:u-trudy'],
        ] as const) {
          const whoami = await runHoop(['whoami', '--json'], env(who));
          assert.equal(whoami.code, 0, whoami.stderr);
          const json = JSON.parse(whoami.stdout) as Json;
          assert.equal(json.name, 'agent-1');
          assert.equal(json.principal, principal);
          assert.equal(json.method, 'oidc');
        }
        const key = await runHoop(['whoami'], env('agent-1'));
        assert.match(key.stdout, /^principal +apikey:agent-1$/m);
      });

      it('matches none of the rules written for the key (apiKeys, users: [apikey:…], identity.principal)', async () => {
        for (const who of ['namesake', 'usernamesake']) {
          for (const connection of ['key-only-1', 'key-only-2', 'key-only-3']) {
            assert.equal(
              await tunnelOutcome(who, connection),
              'HOOP_POLICY_DENIED',
              `${who} ${connection}`,
            );
          }
        }
        for (const connection of ['key-only-1', 'key-only-2', 'key-only-3']) {
          assert.equal(await tunnelOutcome('agent-1', connection), 'opened', connection);
        }
      });

      it('lists only their own sessions, and an auditor’s --user apikey:agent-1 lists only the key’s', async () => {
        await exec('namesake', "select 'namesake was here'");
        const theirs = await ownSessions('namesake');
        const keys = await ownSessions('agent-1');
        assert.ok(theirs.length >= 1);
        assert.deepEqual(
          theirs.filter((id) => keys.includes(id)),
          [],
        );
        const listed = await sessionsOf('apikey:agent-1');
        assert.ok(listed.length >= keys.length);
        assert.ok(
          listed.every(
            (s) => s.principal === 'apikey:agent-1' && s.identity.authMethod === 'apikey',
          ),
        );
        const named = await sessionsOf('oidc:u-mallory');
        assert.deepEqual(named.map((s) => s.id).sort(), [...theirs].sort());
        // A bare name is a search: it finds both, each shown with its principal.
        const search = await sessionsOf('agent-1');
        assert.deepEqual([...new Set(search.map((s) => s.principal))].sort(), [
          'apikey:agent-1',
          'oidc:u-mallory',
        ]);
      });

      it('does not hear the key’s statements in the live tail', async () => {
        const controller = new AbortController();
        const response = await fetch(`${gw.url}/api/audit/tail`, {
          headers: { authorization: `Bearer ${tokens['namesake']}` },
          signal: controller.signal,
        });
        assert.equal(response.status, 200);
        const reader = response.body!.getReader();
        let heard = '';
        const reading = (async () => {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            heard += Buffer.from(value).toString();
          }
        })().catch(() => {});
        await eventually(async () => heard.includes(': hoop audit tail'), 'the tail is open');
        assert.equal((await exec('agent-1', "select 'the key speaks'")).code, 0);
        assert.equal((await exec('namesake', "select 'the namesake speaks'")).code, 0);
        await eventually(async () => heard.includes('the namesake speaks'), 'their own statement');
        controller.abort();
        await reading;
        assert.ok(!heard.includes('the key speaks'), heard);
      });

      it('cannot consume the key’s approved review, nor use its grant', async () => {
        const id = await approvedStatement('agent-1', 'delete from t where id = 3');
        for (const who of ['namesake', 'usernamesake']) {
          const stolen = await exec(who, 'delete from t where id = 3', '--review', id);
          assert.equal(stolen.code, 3, stolen.stderr);
          assert.match(stolen.stderr, /HOOP_REVIEW_MISMATCH|approves another request/);
          assert.equal(await tunnelOutcome(who, 'guarded'), 'HOOP_GRANT_REQUIRED');
        }
        assert.equal((await api('agent-1', 'GET', `/api/reviews/${id}`)).json.status, 'approved');
      });

      it('an approver sees which kind of identity asks', async () => {
        const held = await exec('namesake', 'delete from t where id = 4');
        assert.ok(held.review);
        const show = await runHoop(['reviews', 'show', held.review], env('dba'));
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /^requester: +agent-1 \(oidc:u-mallory\)$/m);
        const review = (await api('dba', 'GET', `/api/reviews/${held.review}`)).json;
        assert.equal(review.requester.method, 'oidc');
      });
    });

    describe('an API key named after a person gets none of the person’s rights', () => {
      it('matches none of the rules written for alice (subject, email, oidc:alice); alice does', async () => {
        for (const connection of ['alice-only-1', 'alice-only-2', 'alice-only-3']) {
          assert.equal(await tunnelOutcome('alice', connection), 'HOOP_POLICY_DENIED', connection);
          assert.equal(await tunnelOutcome('person-alice', connection), 'opened', connection);
        }
      });

      it('neither sees the other’s sessions; --user tells them apart', async () => {
        await exec('alice', "select 'key alice'");
        await exec('person-alice', "select 'person alice'");
        const key = await ownSessions('alice');
        const person = await ownSessions('person-alice');
        assert.ok(key.length > 0 && person.length > 0);
        assert.deepEqual(
          key.filter((id) => person.includes(id)),
          [],
        );
        for (const id of person) {
          const { status, json } = await api('alice', 'GET', `/api/sessions/${id}`);
          assert.equal(status, 404);
          assert.equal(json.error.code, 'HOOP_SESSION_NOT_FOUND');
        }
        for (const id of key) {
          assert.equal(
            (await api('person-alice', 'GET', `/api/sessions/${id}/events`)).status,
            404,
          );
        }
        assert.deepEqual(
          (await sessionsOf('oidc:alice')).map((s) => s.id).sort(),
          [...person].sort(),
        );
        assert.deepEqual(
          (await sessionsOf('apikey:alice')).map((s) => s.id).sort(),
          [...key].sort(),
        );
      });

      it('neither consumes the other’s approval nor uses the other’s grant', async () => {
        const byPerson = await approvedStatement('person-alice', 'delete from t where id = 5');
        const byKey = await approvedStatement('alice', 'delete from t where id = 6');
        const keyTakes = await exec('alice', 'delete from t where id = 5', '--review', byPerson);
        assert.equal(keyTakes.code, 3, keyTakes.stderr);
        assert.match(keyTakes.stderr, /HOOP_REVIEW_MISMATCH|approves another request/);
        const personTakes = await exec(
          'person-alice',
          'delete from t where id = 6',
          '--review',
          byKey,
        );
        assert.equal(personTakes.code, 3, personTakes.stderr);
        // Each still runs its own.
        assert.equal(
          (await exec('person-alice', 'delete from t where id = 5', '--review', byPerson)).code,
          0,
        );
        assert.equal(
          (await exec('alice', 'delete from t where id = 6', '--review', byKey)).code,
          0,
        );

        await approvedGrant('person-alice');
        assert.equal(await tunnelOutcome('person-alice', 'guarded'), 'opened');
        assert.equal(await tunnelOutcome('alice', 'guarded'), 'HOOP_GRANT_REQUIRED');
      });

      it('cannot vote for the person on the person’s own review, nor the person for the key', async () => {
        const held = await exec('person-alice', 'delete from t where id = 7');
        assert.ok(held.review);
        // The key alice is not alice: not a self-approval, but not an approver either.
        const vote = await api('alice', 'POST', `/api/reviews/${held.review}/approve`, {});
        assert.equal(vote.status, 403);
        assert.equal(vote.json.error.code, 'HOOP_REVIEW_NOT_APPROVER');
        // The key does not see the person's requests as its own.
        const mine = (await api('alice', 'GET', '/api/reviews?mine=true')).json.reviews as Json[];
        assert.ok(!mine.some((r) => r.id === held.review));
      });
    });

    it('ordinary identities behave as before: own sessions, reviews, grants, whoami', async () => {
      const whoami = await runHoop(['whoami'], env('person-alice'));
      assert.match(whoami.stdout, /^subject +alice$/m);
      assert.match(whoami.stdout, /^principal +oidc:alice$/m);
      assert.match(whoami.stdout, /^kind +user \(oidc, from HOOP_TOKEN\)$/m);
      const all = await api('auditor', 'GET', '/api/sessions?limit=1000');
      const sessions = all.json.sessions as Json[];
      const alice = sessions.find((s) => s.principal === 'oidc:alice');
      assert.equal(alice.subject, 'alice');
      assert.equal(alice.identity.authMethod, 'oidc');
      const key = sessions.find((s) => s.principal === 'apikey:agent-1');
      assert.equal(key.subject, 'apikey:agent-1');
      assert.equal(key.identity.authMethod, 'apikey');
    });
  },
);

describe('hoop policy explain names each kind of identity apart', () => {
  let dir: { dir: string; remove(): Promise<void> };
  let file: string;
  before(async () => {
    dir = await tempConfigDir();
    file = `${dir.dir}/policy.yaml`;
    await writeFile(
      file,
      [
        'rules:',
        '  - { name: the-key, match: { apiKeys: [agent-1] }, effect: allow }',
        '  - { name: a-person, match: { users: [agent-1] }, effect: deny }',
      ].join('\n'),
    );
  });
  after(() => dir?.remove());

  const explain = async (...who: string[]) => {
    const result = await runHoop([
      'policy',
      'explain',
      file,
      ...who,
      '--connection',
      'pg',
      '--json',
    ]);
    return {
      ...result,
      report: result.code === 0 ? (JSON.parse(result.stdout) as Json) : undefined,
    };
  };

  it('--api-key is the key, --as a person of that name (or oidc:<sub>), and --as apikey:… is refused', async () => {
    assert.equal((await explain('--api-key', 'agent-1')).report.rule, 'the-key');
    for (const as of ['agent-1', 'oidc:agent-1']) {
      const { report } = await explain('--as', as);
      assert.equal(report.effect, 'deny', as);
      assert.equal(report.rule, 'a-person', as);
      assert.equal(report.request.identity.method, 'oidc');
    }
    assertCliFailure(
      await explain('--as', 'apikey:agent-1'),
      2,
      /--as apikey:agent-1: that is an API key/,
      /Use --api-key agent-1/,
    );
  });
});
