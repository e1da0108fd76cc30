import type { Kysely, Selectable } from 'kysely';
import type { AuditSignaturesTable, Database, EventsTable, SessionsTable } from './schema.js';
import type { AuditEvent, ChainSignature, SessionRecord } from './records.js';

/** One session's whole record, as `hoop audit verify` checks it. */
export interface SessionChain {
  session: SessionRecord;
  /** In stored `seq` order (then id), whatever the seqs are. */
  events: AuditEvent[];
  /** In `seq` order, heads before the end. */
  signatures: ChainSignature[];
}

/** The write and read side of the hash chain's signatures. */
export interface ChainRecords {
  /** Appends signatures; one already stored (same session, seq, final) is skipped. */
  appendSignatures(signatures: readonly ChainSignature[]): Promise<void>;
  listSignatures(sessionId: string): Promise<ChainSignature[]>;
  /** A session with its events and signatures; undefined when no such session exists. */
  sessionChain(sessionId: string): Promise<SessionChain | undefined>;
  /** Every session's ID, oldest first, for a verification of the whole store. */
  listSessionIds(): Promise<string[]>;
  /**
   * A page of a session's events in stored order (seq, then id), after
   * `after`, each as its stored values in the order of `columns`: what was
   * written, not a record rebuilt from it, so a verifier hashes every
   * column as stored (an edited `kind`, or a JSON column re-spelled, is
   * seen) on every backend alike.
   */
  chainEventValues(
    sessionId: string,
    columns: readonly (keyof EventsTable & string)[],
    after: { seq: number; id: string } | undefined,
    limit: number,
  ): Promise<unknown[][]>;
}

const SIGNATURES_PER_INSERT = 1000;

export function chainQueries(
  db: Kysely<Database>,
  map: {
    session: (row: Selectable<SessionsTable>) => SessionRecord;
    event: (row: Selectable<EventsTable>) => AuditEvent;
  },
): ChainRecords {
  const listSignatures = async (sessionId: string): Promise<ChainSignature[]> => {
    const rows = await db
      .selectFrom('audit_signatures')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('seq', 'asc')
      .orderBy('final', 'asc')
      .execute();
    return rows.map(toSignature);
  };
  return {
    async appendSignatures(signatures) {
      for (let i = 0; i < signatures.length; i += SIGNATURES_PER_INSERT) {
        await db
          .insertInto('audit_signatures')
          .values(signatures.slice(i, i + SIGNATURES_PER_INSERT).map(toSignatureRow))
          .onConflict((conflict) => conflict.columns(['session_id', 'seq', 'final']).doNothing())
          .execute();
      }
    },

    listSignatures,

    async sessionChain(sessionId) {
      const session = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', sessionId)
        .executeTakeFirst();
      if (!session) return undefined;
      const events = await db
        .selectFrom('events')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('seq', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return {
        session: map.session(session),
        events: events.map(map.event),
        signatures: await listSignatures(sessionId),
      };
    },

    async chainEventValues(sessionId, columns, after, limit) {
      let select = db.selectFrom('events').select(columns).where('session_id', '=', sessionId);
      if (after) {
        select = select.where((eb) =>
          eb.or([
            eb('seq', '>', after.seq),
            eb.and([eb('seq', '=', after.seq), eb('id', '>', after.id)]),
          ]),
        );
      }
      const rows = await select.orderBy('seq', 'asc').orderBy('id', 'asc').limit(limit).execute();
      return rows.map((row: Record<string, unknown>) => columns.map((column) => row[column]));
    },

    async listSessionIds() {
      const rows = await db
        .selectFrom('sessions')
        .select('id')
        .orderBy('started_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map((row) => row.id);
    },
  };
}

function toSignatureRow(signature: ChainSignature): Selectable<AuditSignaturesTable> {
  return {
    session_id: signature.sessionId,
    seq: signature.seq,
    final: signature.final ? 1 : 0,
    hash: signature.hash,
    key_id: signature.keyId,
    signature: signature.signature,
    signed_at: signature.at.toISOString(),
  };
}

export function toSignature(row: Selectable<AuditSignaturesTable>): ChainSignature {
  return {
    sessionId: row.session_id,
    seq: Number(row.seq),
    hash: row.hash,
    final: Number(row.final) === 1,
    keyId: row.key_id,
    signature: row.signature,
    at: new Date(row.signed_at),
  };
}
