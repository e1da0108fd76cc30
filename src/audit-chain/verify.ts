import type { KeyObject } from 'node:crypto';
import {
  canonicalEnd,
  CANONICAL_EVENT_COLUMNS,
  canonicalEventValues,
  EVENT_COLUMN,
  genesisHash,
  linkHash,
} from './canonical.js';
import type { ChainSession, ChainSessionEnd, ChainSignature } from './records.js';
import { verifySignature } from './signature.js';

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
 * stored hash, link and signature, one event at a time (sessions too long
 * to hold in memory are read page by page): events in stored order (seq,
 * then id), then `report()`. Pure: the caller reads the store.
 *
 * Two chains are followed at once: the stored one (each event against the
 * hash stored before it, so one edit is reported once, where it is) and the
 * recomputed one (from the genesis, never trusting a stored hash), which is
 * what signatures are checked against: a forger who rewrites every hash
 * after an edit keeps the stored chain consistent but cannot re-sign it.
 */
export class ChainVerifier {
  private readonly problems: ChainProblem[] = [];
  private readonly reported = new Set<string>();
  private readonly signedSeqs = new Set<number>();
  /** Recomputed hashes at the signed seqs. */
  private readonly recomputedAt = new Map<number, string>();
  private readonly genesis: string;
  private storedHead: string;
  private recomputed: string;
  /** The recomputed chain equals the stored one so far (one hash per event suffices). */
  private intact = true;
  private expected = 1;
  private lastSeq = 0;
  private count = 0;

  constructor(
    private readonly session: ChainSession,
    private readonly signatures: readonly ChainSignature[],
    private readonly publicKey: KeyObject,
  ) {
    for (const signature of signatures) this.signedSeqs.add(signature.seq);
    this.genesis = genesisHash(session);
    if (this.signedSeqs.has(0)) this.recomputedAt.set(0, this.genesis);
    this.storedHead = this.genesis;
    this.recomputed = this.genesis;
  }

  /**
   * A stored row as read: its values in CANONICAL_EVENT_COLUMNS order, then
   * `prev_hash` and `hash`; hashed from the columns' text.
   */
  addValues(values: readonly unknown[]): void {
    const count = CANONICAL_EVENT_COLUMNS.length;
    this.link(
      Number(values[EVENT_COLUMN.seq]),
      String(values[EVENT_COLUMN.id]),
      (values[count] as string | null) ?? undefined,
      (values[count + 1] as string | null) ?? undefined,
      canonicalEventValues(values),
    );
  }

  private link(
    seq: number,
    id: string,
    prevHash: string | undefined,
    hash: string | undefined,
    canonical: string,
  ): void {
    const event = { id, prevHash, hash };
    const { expected } = this;
    this.count++;
    if (seq < expected) {
      this.problem('duplicate', seq, `a second event at seq ${seq} (${event.id})`);
    } else if (seq > expected) {
      this.problem(
        'missing',
        expected,
        seq - expected === 1
          ? `event ${expected} is missing`
          : `events ${expected} to ${seq - 1} are missing`,
      );
    }
    const linked = event.prevHash === this.storedHead;
    if (!linked) {
      if (seq === 1 && expected === 1 && this.storedHead === this.genesis && event.prevHash) {
        this.problem(
          'session_altered',
          0,
          'the session record does not give the chain’s genesis hash',
        );
      } else {
        this.problem('broken_link', seq, `event ${event.id} does not link to the event before it`);
      }
    }
    const own = linkHash(event.prevHash ?? '', canonical);
    const matches = own === event.hash;
    if (!matches) this.problem('altered', seq, `event ${event.id} does not match its hash`);
    if (this.intact && linked && matches && seq === expected) this.recomputed = own;
    else {
      this.intact = false;
      this.recomputed = linkHash(this.recomputed, canonical);
    }
    if (this.signedSeqs.has(seq) && !this.recomputedAt.has(seq))
      this.recomputedAt.set(seq, this.recomputed);
    this.storedHead = event.hash ?? own;
    this.expected = Math.max(expected, seq + 1);
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  report(): ChainReport {
    const { session, lastSeq } = this;
    const sessionId = session.id;
    let sealed = false;
    for (const signature of this.signatures) {
      if (!verifySignature(signature, this.publicKey)) {
        this.problem(
          'bad_signature',
          signature.seq,
          `the ${signature.final ? 'end' : 'head'} signature at seq ${signature.seq} does not verify with key ${signature.keyId}`,
        );
        continue;
      }
      if (signature.seq > lastSeq) {
        this.problem(
          'missing',
          lastSeq + 1,
          `signed at seq ${signature.seq}, but the chain ends at seq ${lastSeq}: events were removed`,
        );
        continue;
      }
      const head = this.recomputedAt.get(signature.seq);
      if (!signature.final) {
        if (head !== signature.hash)
          this.problem(
            'signed_head_differs',
            signature.seq,
            `the chain up to seq ${signature.seq} is not the one signed`,
          );
        continue;
      }
      if (signature.seq !== lastSeq) {
        this.problem(
          'missing',
          signature.seq + 1,
          `the session was sealed at seq ${signature.seq}; later events were added`,
        );
        continue;
      }
      const end = endOf(session);
      if (
        !end ||
        head === undefined ||
        linkHash(head, canonicalEnd(sessionId, end)) !== signature.hash
      ) {
        this.problem(
          head === this.storedHead || head === undefined ? 'end_altered' : 'signed_head_differs',
          signature.seq,
          'the session’s events and end record are not the ones signed at its end',
        );
        continue;
      }
      sealed = true;
    }
    if (!sealed && session.endedAt && session.closeReason !== 'gateway_restart') {
      if (!this.signatures.some((signature) => signature.final))
        this.problem('unsealed', lastSeq, 'the session ended but its end is not signed');
    }
    const problems = [...this.problems].sort((a, b) => a.seq - b.seq);
    return { sessionId, events: this.count, signatures: this.signatures.length, sealed, problems };
  }

  private problem(kind: ChainProblemKind, seq: number, detail: string): void {
    // Several signatures past a truncated tail name the same gap once.
    const key = `${kind}@${seq}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problems.push({ kind, sessionId: this.session.id, seq, detail });
  }
}

/** The session's end record as stored, when it has ended. */
function endOf(session: ChainSession): ChainSessionEnd | undefined {
  if (!session.endedAt || session.closeReason === undefined) return undefined;
  return {
    endedAt: session.endedAt,
    bytesUp: session.bytesUp,
    bytesDown: session.bytesDown,
    closeReason: session.closeReason,
    ...(session.closeDetail === undefined ? {} : { closeDetail: session.closeDetail }),
  };
}
