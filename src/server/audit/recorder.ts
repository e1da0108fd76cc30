import { canonicalEnd } from '../../audit-chain/index.js';
import { HoopError } from '../../lib/errors.js';
import type { ActionOutcome, ActionRecord, TerminalChunk } from '../enforcement/index.js';
import type { Logger } from '../logger.js';
import type { AuditEvent, ChainSignature, NewSession, SessionEnd, Store } from '../store/index.js';
import { canonicalEvent, genesisHash, linkHash } from './chain.js';
import { eventOf, terminalEventOf, type UnchainedEvent } from './event-of.js';
import type { Journal, JournalRecord } from './journal.js';
import type { AuditSigner } from './signing.js';

/** The journal is emptied once it holds this much and the store has all of it. */
const RESET_BYTES = 1024 * 1024;
/** How long records the store refused wait before they are sent again. */
const STORE_RETRY_MS = 1000;

export interface RecorderOptions {
  store: Store;
  /**
   * Where events are durable before the client sees their response. Without
   * one (an in-memory store) responses are not held: nothing is durable anyway.
   */
  journal?: Journal;
  /** Signs chain heads; without one (unit tests) no signature is made. */
  signer?: AuditSigner;
  /** A session's head is signed after this many unsigned events. Default 1000. */
  signEvery?: number;
  /** …and at least this often while it has unsigned events, in ms. Default 10 000. */
  signIntervalMs?: number;
  /** Most records written to the store in one append; more wait for the next. Default 2000. */
  maxBatch?: number;
  /**
   * How long the first record of a store batch waits for others to join it,
   * in ms. Default 50: the journal already holds them, so a longer window
   * only makes fewer, larger SQLite commits (each costs the relay's thread
   * page writes and locks).
   */
  batchWindowMs?: number;
  /** Kept of each statement's or command's text (`audit.maxTextBytes`); default all of it. */
  maxTextBytes?: number;
  /** Called with each event once it is durable (the live audit tail); must not throw. */
  onRecorded?: (event: AuditEvent) => void;
  /** For failures of the store writer that belong to no session. */
  log?: Logger;
}

/** A session's chain as the recorder extends it. */
interface Chain {
  seq: number;
  head: string;
  signedSeq: number;
  /** The action under way whose provisional event is journaled (see `progress`): the next event, with that id. */
  unfinished?: { record: ActionRecord; event: AuditEvent };
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Turns decided actions and how they ended into audit events: numbered per
 * session from 1, hash-chained (chain.ts), made durable in the journal
 * before the client sees the response, then appended to the store in
 * batches.
 *
 * Group commit: the events of one turn of the event loop share one journal
 * write (`setImmediate`); `record` returns that write's promise and the
 * protocol holds the response's completing bytes until it resolves — tens of
 * microseconds, not the store's milliseconds. The store batches
 * (`batchWindowMs`) then carry hundreds of events per SQLite transaction.
 * When the store has everything the journal holds, the journal is emptied.
 *
 * Chain heads are signed every `signEvery` events, every `signIntervalMs`,
 * and at session end over the end record: the signatures go through the
 * journal with the events.
 */
export class AuditRecorder {
  private readonly chains = new Map<string, Chain>();
  /** Records not yet journaled. */
  private pending: JournalRecord[] = [];
  private commitBatch: Deferred | undefined;
  /** Records journaled, not yet in the store. */
  private queue: JournalRecord[] = [];
  private scheduled = false;
  private running = false;
  /** Settles when the queue is empty and nothing is being written. */
  private writing: Promise<void> = Promise.resolve();
  /** Bytes journaled since the journal was last emptied (approximate: records' JSON length). */
  private journaled = 0;
  /** Set when a journal write failed: the journal no longer holds everything, so it is never emptied (a restart replays what it has). */
  private journalFailed = false;
  private readonly maxBatch: number;
  private readonly batchWindowMs: number;
  private readonly signEvery: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RecorderOptions) {
    this.maxBatch = options.maxBatch ?? 2000;
    this.batchWindowMs = options.batchWindowMs ?? 50;
    this.signEvery = options.signEvery ?? 1000;
    if (options.signer) {
      this.timer = setInterval(this.signHeads, options.signIntervalMs ?? 10_000);
      this.timer.unref();
    }
  }

  /** Starts a session's chain from its start record (as stored). */
  begin(session: NewSession): void {
    this.chains.set(session.id, { seq: 0, head: genesisHash(session), signedSeq: 0 });
  }

  /**
   * Records how a decided action ended, as its session's next event.
   * Returns the promise of the journal write that makes the event durable
   * (the protocol holds the response until then), or nothing when there is
   * nothing to wait for.
   */
  record(
    sessionId: string,
    record: ActionRecord,
    outcome: ActionOutcome,
  ): Promise<void> | undefined {
    const event = eventOf(sessionId, record, outcome, this.options.maxTextBytes);
    return event && this.append(event, record);
  }

  /**
   * Records how far an action has got before part of its response goes to
   * the client (a statement of a simple Query holding several): a
   * provisional event, journaled but neither chained nor stored. The
   * action's `record` makes the final event under the same id and seq; if
   * the gateway stops first, the replay stores the last provisional one,
   * marked `unfinished`, and if the session ends first, it becomes the
   * session's event as it is. Returns the journal write's promise, or
   * nothing when there is no journal (nothing is durable anyway).
   */
  progress(
    sessionId: string,
    record: ActionRecord,
    outcome: ActionOutcome,
  ): Promise<void> | undefined {
    if (!this.options.journal) return undefined;
    const unchained = eventOf(
      sessionId,
      record,
      outcome,
      this.options.maxTextBytes,
      new Date(),
      true,
    );
    if (!unchained) return undefined;
    const chain = this.chain(sessionId);
    if (chain.unfinished && chain.unfinished.record !== record) this.closeUnfinished(chain);
    const event = {
      ...unchained,
      id: chain.unfinished?.event.id ?? unchained.id,
      seq: chain.seq + 1,
    } as AuditEvent;
    event.prevHash = chain.head;
    event.hash = linkHash(chain.head, canonicalEvent(event));
    chain.unfinished = { record, event };
    this.pending.push({ type: 'provisional', event });
    return this.scheduleCommit();
  }

  /** Records a chunk of a terminal session as its next event. */
  terminal(sessionId: string, chunk: TerminalChunk): Promise<void> | undefined {
    return this.append(terminalEventOf(sessionId, chunk));
  }

  /**
   * Numbers and links an event into its session's chain, then queues it for
   * the journal. The final event of an action with a provisional one takes
   * its id; any other action's event comes after it, made an event first.
   */
  private append(unchained: UnchainedEvent, record?: ActionRecord): Promise<void> | undefined {
    const chain = this.chain(unchained.sessionId);
    const { unfinished } = chain;
    if (unfinished && unfinished.record === record) {
      chain.unfinished = undefined;
      unchained = { ...unchained, id: unfinished.event.id };
    } else if (unfinished) this.closeUnfinished(chain);
    const seq = chain.seq + 1;
    const event = { ...unchained, seq } as AuditEvent;
    this.link(chain, event);
    return this.scheduleCommit();
  }

  /** Links a numbered event into its chain and queues it. */
  private link(chain: Chain, event: AuditEvent): void {
    event.prevHash = chain.head;
    event.hash = linkHash(chain.head, canonicalEvent(event));
    chain.seq = event.seq;
    chain.head = event.hash;
    this.pending.push({ type: 'event', event });
    if (event.seq - chain.signedSeq >= this.signEvery) this.signHead(event.sessionId, chain);
  }

  /** An action that will not finish (its session ends, another began): its provisional event becomes its event. */
  private closeUnfinished(chain: Chain): void {
    const { unfinished } = chain;
    if (!unfinished) return;
    chain.unfinished = undefined;
    this.link(chain, unfinished.event);
  }

  /**
   * Closes a session's chain: its end record and the signature over it go
   * to the journal, then everything of the session to the store; resolves
   * when the store has them (the session's row included).
   */
  async end(sessionId: string, end: SessionEnd): Promise<void> {
    const chain = this.chain(sessionId);
    this.closeUnfinished(chain);
    this.pending.push({ type: 'end', sessionId, end });
    if (this.options.signer) {
      const hash = linkHash(chain.head, canonicalEnd(sessionId, end));
      this.pending.push({
        type: 'signature',
        signature: this.options.signer.sign(sessionId, chain.seq, hash, true, end.endedAt),
      });
    }
    this.chains.delete(sessionId);
    this.commit();
    this.flush();
    await this.writing;
  }

  /** Waits until the session's events are in the store (or have failed) and forgets it. */
  async settle(sessionId: string): Promise<void> {
    const chain = this.chains.get(sessionId);
    if (chain) this.closeUnfinished(chain);
    this.commit();
    this.flush();
    await this.writing;
    this.chains.delete(sessionId);
  }

  /** Stops signing on a timer and writes out what is pending. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.commit();
    this.flush();
    await this.writing;
  }

  private chain(sessionId: string): Chain {
    let chain = this.chains.get(sessionId);
    if (!chain) {
      // A session the gateway did not begin (unit tests): its genesis is the empty start record.
      chain = { seq: 0, head: linkHash('', ''), signedSeq: 0 };
      this.chains.set(sessionId, chain);
    }
    return chain;
  }

  private signHead(sessionId: string, chain: Chain): void {
    const { signer } = this.options;
    if (!signer) return;
    this.pending.push({
      type: 'signature',
      signature: signer.sign(sessionId, chain.seq, chain.head, false),
    });
    chain.signedSeq = chain.seq;
  }

  private readonly signHeads = (): void => {
    let signed = false;
    for (const [sessionId, chain] of this.chains) {
      if (chain.seq > chain.signedSeq) {
        this.signHead(sessionId, chain);
        signed = true;
      }
    }
    if (signed) void this.scheduleCommit()?.catch(() => {});
  };

  private scheduleCommit(): Promise<void> | undefined {
    if (!this.options.journal) {
      // Nothing to hold for: straight to the store queue.
      this.commit();
      return undefined;
    }
    if (!this.commitBatch) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.commitBatch = { promise, resolve, reject };
      setImmediate(this.commit);
    }
    return this.commitBatch.promise;
  }

  /** One journal write for everything pending, then the store queue. */
  private readonly commit = (): void => {
    const records = this.pending;
    const batch = this.commitBatch;
    this.pending = [];
    this.commitBatch = undefined;
    if (records.length === 0) {
      batch?.resolve();
      return;
    }
    let failure: Error | undefined;
    try {
      if (this.options.journal) this.journaled += this.options.journal.append(records);
    } catch (error) {
      failure = new HoopError('HOOP_AUDIT_UNRECORDED', 'the audit journal cannot be written', {
        hint: 'An administrator should check the disk the gateway records to.',
        cause: error,
      });
      this.options.log?.error(
        { err: error, event: 'audit_journal_failed', records: records.length },
        'could not write the audit journal',
      );
      // The store may still take them; the journal keeps nothing from now on.
      this.journalFailed = true;
    }
    // Provisional events stay in the journal: their action's final event goes to the store.
    for (const record of records) if (record.type !== 'provisional') this.queue.push(record);
    if (failure) batch?.reject(failure);
    else {
      batch?.resolve();
      const { onRecorded } = this.options;
      if (onRecorded) {
        for (const record of records) if (record.type === 'event') onRecorded(record.event);
      }
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flush, this.batchWindowMs);
    }
  };

  /** Starts the writer unless it runs: it takes what has queued each time the previous append is done. */
  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    this.writing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (!(await this.write(batch))) {
          // Kept in order at the head of the queue (and in the journal); tried again later.
          this.queue.unshift(...batch);
          if (!this.scheduled) {
            this.scheduled = true;
            setTimeout(this.flush, STORE_RETRY_MS).unref();
          }
          break;
        }
        // Records are queued as they are journaled: an empty queue means the
        // store has everything the journal holds, so the journal may start
        // over; it does once it is worth a system call.
        if (this.queue.length === 0 && !this.journalFailed && this.journaled >= RESET_BYTES) {
          this.resetJournal();
        }
      }
      this.running = false;
    })();
  };

  /**
   * Empties the journal, keeping the provisional events of actions under
   * way: they are in no store until their action ends.
   */
  private resetJournal(): void {
    const { journal } = this.options;
    if (!journal) return;
    const unfinished: JournalRecord[] = [];
    for (const chain of this.chains.values()) {
      if (chain.unfinished) unfinished.push({ type: 'provisional', event: chain.unfinished.event });
    }
    try {
      journal.reset();
      this.journaled = unfinished.length > 0 ? journal.append(unfinished) : 0;
    } catch (error) {
      this.options.log?.error(
        { err: error, event: 'audit_journal_failed' },
        'could not start the audit journal over',
      );
      this.journalFailed = true;
    }
  }

  /** Appends a batch to the store; false when the store refused it (every part is idempotent, so it can be sent again). */
  private async write(batch: JournalRecord[]): Promise<boolean> {
    const events: AuditEvent[] = [];
    const signatures: ChainSignature[] = [];
    const ends: { sessionId: string; end: SessionEnd }[] = [];
    for (const record of batch) {
      if (record.type === 'event') events.push(record.event);
      else if (record.type === 'signature') signatures.push(record.signature);
      else if (record.type === 'end') ends.push(record);
    }
    const { store } = this.options;
    try {
      await store.appendEvents(events);
      if (signatures.length > 0) await store.appendSignatures(signatures);
      for (const { sessionId, end } of ends) await store.endSession(sessionId, end);
      return true;
    } catch (error) {
      this.options.log?.error(
        {
          err: error,
          event: 'statement_event_unrecorded',
          events: events.length,
          sessions: [...new Set(events.map((event) => event.sessionId))],
        },
        'could not write audit records to the store; the journal keeps them, and they are sent again in a second',
      );
      return false;
    }
  }
}
