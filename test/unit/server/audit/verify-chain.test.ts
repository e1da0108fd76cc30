import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';

import { canonicalEnd } from '../../../../src/audit-chain/index.js';
import { canonicalEvent, genesisHash, linkHash } from '../../../../src/server/audit/chain.js';
import { signerFromPem } from '../../../../src/server/audit/signing.js';
import { verifyChain } from '../../../../src/server/audit/verify-store.js';
import type {
  AuditEvent,
  CommandEvent,
  SessionChain,
  SessionEnd,
  SessionRecord,
  StatementEvent,
} from '../../../../src/server/store/index.js';

const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
const signer = signerFromPem(pem.toString(), 'test key');

const session: SessionRecord = {
  id: 'ses_1',
  subject: 'alice',
  identityName: 'alice',
  identityKind: 'person',
  authMethod: 'api_key',
  groups: ['eng'],
  connection: 'pg',
  connectionType: 'postgres',
  clientAddr: '127.0.0.1:5000',
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  endedAt: new Date('2026-01-01T00:01:00.000Z'),
  bytesUp: 10,
  bytesDown: 20,
  closeReason: 'client_closed',
};

/** A sealed session of `count` events, signed at every `every` events and at its end. */
function buildChain(count: number, every = 3): SessionChain {
  let head = genesisHash(session);
  const events: StatementEvent[] = [];
  const signatures = [];
  for (let seq = 1; seq <= count; seq++) {
    const event: StatementEvent = {
      id: `evt_${seq}`,
      sessionId: session.id,
      seq,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      kind: 'statement',
      text: `select ${seq}`,
      kinds: ['select'],
      tables: [],
      decision: 'allow',
      durationMs: 0.25 * seq,
      rows: 1,
      preview: { columns: ['n'], rows: [[String(seq)]], truncated: false },
    };
    event.prevHash = head;
    event.hash = linkHash(head, canonicalEvent(event));
    head = event.hash;
    events.push(event);
    if (seq % every === 0) signatures.push(signer.sign(session.id, seq, head, false));
  }
  const end: SessionEnd = {
    endedAt: session.endedAt!,
    bytesUp: session.bytesUp,
    bytesDown: session.bytesDown,
    closeReason: 'client_closed',
  };
  signatures.push(
    signer.sign(session.id, count, linkHash(head, canonicalEnd(session.id, end)), true),
  );
  return { session: { ...session }, events, signatures };
}

const kinds = (chain: SessionChain) =>
  verifyChain(chain, signer.publicKey).problems.map((problem) => `${problem.kind}@${problem.seq}`);

describe('verifyChain', () => {
  it('passes an intact, sealed chain', () => {
    const report = verifyChain(buildChain(7), signer.publicKey);
    assert.deepEqual(report.problems, []);
    assert.equal(report.sealed, true);
    assert.equal(report.events, 7);
  });

  it('reports an altered text at its seq, and the signatures after it', () => {
    const chain = buildChain(7);
    chain.events[3]!.text = 'select 1 -- edited';
    assert.deepEqual(kinds(chain), ['altered@4', 'signed_head_differs@6', 'signed_head_differs@7']);
  });

  it('reports a removed event as missing, and the link after the gap', () => {
    const chain = buildChain(7);
    chain.events.splice(1, 1);
    assert.deepEqual(kinds(chain).slice(0, 2), ['missing@2', 'broken_link@3']);
  });

  it('reports swapped seqs', () => {
    const chain = buildChain(5);
    const [a, b] = [chain.events[1]!, chain.events[2]!];
    [a.seq, b.seq] = [b.seq, a.seq];
    chain.events.sort((x, y) => x.seq - y.seq);
    const found = kinds(chain);
    assert.ok(found.includes('altered@2') && found.includes('broken_link@2'), found.join());
    assert.ok(found.includes('altered@3'), found.join());
  });

  it('reports an inserted event even when the forger recomputed every hash after it', () => {
    const chain = buildChain(6);
    const forged: StatementEvent = {
      ...(chain.events[2] as StatementEvent),
      id: 'evt_forged',
      text: 'drop table x',
    };
    chain.events.splice(3, 0, forged);
    // Renumber and rehash everything from the forgery on: the stored chain is consistent again.
    let head = chain.events[2]!.hash!;
    for (let i = 3; i < chain.events.length; i++) {
      const event = chain.events[i]!;
      event.seq = i + 1;
      event.prevHash = head;
      event.hash = linkHash(head, canonicalEvent(event));
      head = event.hash;
    }
    const found = kinds(chain);
    assert.ok(found.includes('signed_head_differs@6'), found.join());
    assert.ok(
      found.some((kind) => kind.startsWith('missing@')),
      found.join(),
    );
  });

  it('reports an altered signature and an altered session record', () => {
    const chain = buildChain(4);
    chain.signatures[0]!.signature = Buffer.alloc(64, 1).toString('base64');
    assert.deepEqual(kinds(chain), ['bad_signature@3']);
    const other = buildChain(4);
    other.session.subject = 'mallory';
    assert.ok(kinds(other).includes('session_altered@0'));
  });

  it('reports an edited end record and a missing end signature', () => {
    const chain = buildChain(4);
    chain.session.closeReason = 'gateway_shutdown';
    assert.deepEqual(kinds(chain), ['end_altered@4']);
    const unsealed = buildChain(4);
    unsealed.signatures.pop();
    assert.deepEqual(kinds(unsealed), ['unsealed@4']);
  });

  it('reports removed trailing events of a sealed session', () => {
    const chain = buildChain(6);
    chain.events.pop();
    assert.deepEqual(kinds(chain), ['missing@6']);
  });
});

describe('verifyChain: events of other kinds (hoop-audit-v2)', () => {
  /** A sealed session whose events alternate statements and commands. */
  function mixedChain(): SessionChain {
    let head = genesisHash(session);
    const events: AuditEvent[] = [];
    for (let seq = 1; seq <= 4; seq++) {
      const base = {
        id: `evt_${seq}`,
        sessionId: session.id,
        seq,
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
        decision: 'allow' as const,
        durationMs: seq,
      };
      const event: AuditEvent =
        seq % 2 === 1
          ? { ...base, kind: 'statement', text: `select ${seq}`, kinds: ['select'], tables: [] }
          : {
              ...base,
              kind: 'command',
              text: `systemctl status nginx ${seq}`,
              detail: { shell: false, exitStatus: 0, output: { text: 'active', truncated: false } },
            };
      event.prevHash = head;
      event.hash = linkHash(head, canonicalEvent(event));
      head = event.hash;
      events.push(event);
    }
    const end: SessionEnd = {
      endedAt: session.endedAt!,
      bytesUp: session.bytesUp,
      bytesDown: session.bytesDown,
      closeReason: 'client_closed',
    };
    const signatures = [
      signer.sign(session.id, 4, linkHash(head, canonicalEnd(session.id, end)), true),
    ];
    return { session: { ...session }, events, signatures };
  }

  it('passes an intact chain mixing statements and commands', () => {
    const report = verifyChain(mixedChain(), signer.publicKey);
    assert.deepEqual(report.problems, []);
    assert.equal(report.sealed, true);
  });

  it('reports an altered detail of a command', () => {
    const chain = mixedChain();
    // Records are never changed once made (their JSON is kept per object): a new detail, as read from an edited row.
    const command = chain.events[1] as CommandEvent;
    chain.events[1] = { ...command, detail: { ...command.detail, exitStatus: 1 } };
    assert.deepEqual(kinds(chain), ['altered@2', 'signed_head_differs@4']);
  });

  it('reports a command passed off as a statement, and a detail added to a statement', () => {
    const relabelled = mixedChain();
    const command = relabelled.events[1] as CommandEvent;
    relabelled.events[1] = {
      ...command,
      kind: 'statement',
      kinds: [],
      tables: [],
    } as unknown as StatementEvent;
    assert.ok(kinds(relabelled).includes('altered@2'));
    const padded = mixedChain();
    Object.assign(padded.events[0]!, { kind: 'command', detail: { shell: true } });
    assert.ok(kinds(padded).includes('altered@1'));
  });
});
