import type { KeyObject } from 'node:crypto';
import type { SessionChain } from '../store/index.js';
import { canonicalEnd, canonicalEvent, genesisHash, linkHash } from './chain.js';
import { verifySignature } from './signing.js';

/**
 * What is wrong at one place of a session's chain:
 * - `session_altered`: the start record no longer gives the genesis hash the first event links to;
 * - `altered`: the event's content no longer gives its stored hash;
 * - `broken_link`: the event does not link to the one stored before it (an event before it was removed, inserted or moved);
 * - `missing`: seqs absent from the chain (events removed);
 * - `duplicate`: a second event with a seq already seen (an inserted event);
 * - `bad_signature`: the signature is not the gateway key's over what it names;
 * - `signed_head_differs`: the signature verifies but the chain recomputed from the session's start no longer reaches the signed hash at its seq;
 * - `end_altered`: the session's end record no longer gives the signed end hash;
 * - `unsealed`: an ended session without its end signature (only a gateway that died leaves that legitimately).
 */
export type ChainProblemKind =
  | 'session_altered'
  | 'altered'
  | 'broken_link'
  | 'missing'
  | 'duplicate'
  | 'bad_signature'
  | 'signed_head_differs'
  | 'end_altered'
  | 'unsealed';

export interface ChainProblem {
  kind: ChainProblemKind;
  sessionId: string;
  /** The position in the session: the event's seq, or the signature's. */
  seq: number;
  detail: string;
}

export interface ChainReport {
  sessionId: string;
  events: number;
  signatures: number;
  /** The session's end is signed and that signature verifies. */
  sealed: boolean;
  problems: ChainProblem[];
}

/**
 * Recomputes a session's chain from its start record and checks every
 * stored hash, link and signature. Pure: the caller reads the store.
 *
 * Two chains are followed at once: the stored one (each event against the
 * hash stored before it, so one edit is reported once, where it is) and the
 * recomputed one (from the genesis, never trusting a stored hash), which is
 * what signatures are checked against: a forger who rewrites every hash
 * after an edit keeps the stored chain consistent but cannot re-sign it.
 */
export function verifyChain(chain: SessionChain, publicKey: KeyObject): ChainReport {
  const { session, events, signatures } = chain;
  const sessionId = session.id;
  const problems: ChainProblem[] = [];
  const reported = new Set<string>();
  const problem = (kind: ChainProblemKind, seq: number, detail: string): void => {
    // Several signatures past a truncated tail name the same gap once.
    const key = `${kind}@${seq}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push({ kind, sessionId, seq, detail });
  };

  const signedSeqs = new Set<number>();
  for (const signature of signatures) signedSeqs.add(signature.seq);
  const genesis = genesisHash(session);
  /** Recomputed hashes at the signed seqs. */
  const recomputedAt = new Map<number, string>();
  if (signedSeqs.has(0)) recomputedAt.set(0, genesis);

  let storedHead = genesis;
  let recomputed = genesis;
  let expected = 1;
  let lastSeq = 0;
  for (const event of events) {
    const seq = event.seq;
    if (seq < expected) {
      problem('duplicate', seq, `a second event at seq ${seq} (${event.id})`);
    } else if (seq > expected) {
      problem(
        'missing',
        expected,
        seq - expected === 1
          ? `event ${expected} is missing`
          : `events ${expected} to ${seq - 1} are missing`,
      );
    }
    const canonical = canonicalEvent(event);
    if (event.prevHash !== storedHead) {
      if (seq === 1 && expected === 1 && storedHead === genesis && event.prevHash !== undefined) {
        problem('session_altered', 0, 'the session record does not give the chain’s genesis hash');
      } else {
        problem('broken_link', seq, `event ${event.id} does not link to the event before it`);
      }
    }
    const own = linkHash(event.prevHash ?? '', canonical);
    if (own !== event.hash) problem('altered', seq, `event ${event.id} does not match its hash`);
    recomputed = linkHash(recomputed, canonical);
    if (signedSeqs.has(seq) && !recomputedAt.has(seq)) recomputedAt.set(seq, recomputed);
    storedHead = event.hash ?? own;
    expected = Math.max(expected, seq + 1);
    lastSeq = Math.max(lastSeq, seq);
  }

  let sealed = false;
  for (const signature of signatures) {
    const valid = verifySignature(signature, publicKey);
    if (!valid) {
      problem(
        'bad_signature',
        signature.seq,
        `the ${signature.final ? 'end' : 'head'} signature at seq ${signature.seq} does not verify with key ${signature.keyId}`,
      );
      continue;
    }
    if (signature.seq > lastSeq) {
      problem(
        'missing',
        lastSeq + 1,
        `signed at seq ${signature.seq}, but the chain ends at seq ${lastSeq}: events were removed`,
      );
      continue;
    }
    const head = recomputedAt.get(signature.seq);
    if (!signature.final) {
      if (head !== signature.hash)
        problem(
          'signed_head_differs',
          signature.seq,
          `the chain up to seq ${signature.seq} is not the one signed`,
        );
      continue;
    }
    if (signature.seq !== lastSeq) {
      problem(
        'missing',
        signature.seq + 1,
        `the session was sealed at seq ${signature.seq}; later events were added`,
      );
      continue;
    }
    const end = session.endedAt &&
      session.closeReason !== undefined && {
        endedAt: session.endedAt,
        bytesUp: session.bytesUp,
        bytesDown: session.bytesDown,
        closeReason: session.closeReason as never,
        ...(session.closeDetail === undefined ? {} : { closeDetail: session.closeDetail }),
      };
    if (
      !end ||
      head === undefined ||
      linkHash(head, canonicalEnd(sessionId, end)) !== signature.hash
    ) {
      problem(
        head === storedHead || head === undefined ? 'end_altered' : 'signed_head_differs',
        signature.seq,
        'the session’s events and end record are not the ones signed at its end',
      );
      continue;
    }
    sealed = true;
  }
  if (!sealed && session.endedAt && session.closeReason !== 'gateway_restart') {
    const hasFinal = signatures.some((signature) => signature.final);
    if (!hasFinal) problem('unsealed', lastSeq, 'the session ended but its end is not signed');
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { sessionId, events: events.length, signatures: signatures.length, sealed, problems };
}
