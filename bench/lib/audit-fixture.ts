import { generateKeyPairSync } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { canonicalEnd } from '../../src/audit-chain/index.js';
import { canonicalEvent, genesisHash, linkHash } from '../../src/server/audit/chain.js';
import { signerFromPem, type AuditSigner } from '../../src/server/audit/signing.js';
import { openStore } from '../../src/server/store/index.js';
import type { NewSession, StatementEvent } from '../../src/server/store/index.js';

/**
 * Writes a SQLite store of `events` chained, signed statement events (100
 * sessions, a head signature every 1000 events, sealed at the end) the way
 * the recorder makes them, straight into the file (the recorder's batches
 * would take minutes for a million). Returns the signer that verifies them.
 */
export async function writeChainFixture(file: string, events: number): Promise<AuditSigner> {
  // Migrations first, through the store itself.
  await (await openStore(`sqlite:${file}`)).close();
  const signer = signerFromPem(
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'bench key',
  );
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertSession = db.prepare(
    `insert into sessions (id, subject, identity_name, identity_kind, auth_method, groups, connection,
       connection_type, client_addr, started_at, ended_at, bytes_up, bytes_down, close_reason)
     values (?, 'bench', 'bench', 'agent', 'api_key', '["bench"]', 'pg', 'postgres', '127.0.0.1:1', ?, ?, 0, 0, 'client_closed')`,
  );
  const insertEvent = db.prepare(
    `insert into events (id, session_id, seq, at, kind, text, fingerprint, kinds, tables, decision, rule,
       policy_hash, rows, duration_ms, preview, prev_hash, hash)
     values (?, ?, ?, ?, 'statement', ?, ?, '["select"]', '["pgbench_accounts"]', 'allow', 'bench', 'sha256:bench', 1, ?, ?, ?, ?)`,
  );
  const insertSignature = db.prepare(
    `insert into audit_signatures (session_id, seq, final, hash, key_id, signature, signed_at)
     values (?, ?, ?, ?, ?, ?, ?)`,
  );
  const sessions = 100;
  const perSession = Math.ceil(events / sessions);
  const at = new Date('2026-01-01T00:00:00.000Z');
  db.transaction(() => {
    let written = 0;
    for (let s = 0; s < sessions && written < events; s++) {
      const session: NewSession = {
        id: `ses_bench${String(s).padStart(4, '0')}`,
        subject: 'bench',
        identityName: 'bench',
        identityKind: 'agent',
        authMethod: 'api_key',
        groups: ['bench'],
        connection: 'pg',
        connectionType: 'postgres',
        clientAddr: '127.0.0.1:1',
        startedAt: at,
      };
      const endedAt = new Date(at.getTime() + 3_600_000);
      insertSession.run(session.id, at.toISOString(), endedAt.toISOString());
      let head = genesisHash(session);
      let seq = 0;
      for (; seq < perSession && written < events; written++) {
        seq++;
        const aid = (seq * 7919) % 100_000;
        const event: StatementEvent = {
          id: `evt_${s}_${seq}`,
          sessionId: session.id,
          seq,
          at,
          kind: 'statement',
          text: `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
          fingerprint: 'b6d9f0c1a2e3',
          kinds: ['select'],
          tables: ['pgbench_accounts'],
          decision: 'allow',
          rule: 'bench',
          policyHash: 'sha256:bench',
          rows: 1,
          durationMs: 0.25,
          preview: { columns: ['abalance'], rows: [['0']], truncated: false },
        };
        const hash = linkHash(head, canonicalEvent(event));
        insertEvent.run(
          event.id,
          session.id,
          seq,
          at.toISOString(),
          event.text,
          event.fingerprint,
          event.durationMs,
          JSON.stringify(event.preview),
          head,
          hash,
        );
        head = hash;
        if (seq % 1000 === 0) {
          const signature = signer.sign(session.id, seq, head, false, at);
          insertSignature.run(
            session.id,
            seq,
            0,
            head,
            signer.keyId,
            signature.signature,
            at.toISOString(),
          );
        }
      }
      const end = linkHash(
        head,
        canonicalEnd(session.id, {
          endedAt,
          bytesUp: 0,
          bytesDown: 0,
          closeReason: 'client_closed',
        }),
      );
      const seal = signer.sign(session.id, seq, end, true, endedAt);
      insertSignature.run(
        session.id,
        seq,
        1,
        end,
        signer.keyId,
        seal.signature,
        endedAt.toISOString(),
      );
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return signer;
}
