import {
  closeSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { ChainSignature, SessionEnd, AuditEvent } from '../store/index.js';

/** What the journal holds until the store has it. */
export type JournalRecord =
  | { type: 'event'; event: AuditEvent }
  /**
   * An event as far as its action has got, written before part of its
   * response goes to the client; its action's final event (the same id and
   * seq) replaces it. Only a replay reads it: one left without its final
   * event is what the gateway knew when it stopped.
   */
  | { type: 'provisional'; event: AuditEvent }
  | { type: 'signature'; signature: ChainSignature }
  | { type: 'end'; sessionId: string; end: SessionEnd };

/** The journal next to a SQLite store: `<store dir>/audit.journal`. */
export const JOURNAL_FILE = 'audit.journal';

const HEADER = 8;

/**
 * An append-only file where audit records are durable before the client
 * sees the response they describe.
 *
 * Each record is `UInt32BE length ‖ UInt32BE CRC-32 ‖ UTF-8 JSON`, and a
 * batch of them goes out in one `write(2)`: once it returns, the bytes are
 * in the kernel's page cache and survive the gateway being killed (SIGKILL,
 * a crash, an OOM kill). They are not fsynced: a power loss or kernel crash
 * may lose the last writes, as SQLite in WAL mode with `synchronous=NORMAL`
 * may lose its last commits. A torn or corrupt tail (only a power loss
 * leaves one) ends the replay at the last whole record.
 *
 * The recorder empties the file whenever everything in it is also in the
 * store, so it stays small; at start-up the gateway replays what a dead
 * gateway left into the store, idempotently (event ids, signature heads).
 */
export class Journal {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
  ) {}

  /** Opens (creating, mode 0600) the journal for appending. */
  static open(file: string): Journal {
    mkdirSync(path.dirname(file), { recursive: true });
    // 'a': O_APPEND, so every write lands at the end, also after a truncation.
    return new Journal(file, openSync(file, 'a', 0o600));
  }

  /** Writes the records with one system call (more only if the kernel takes part of it); returns the bytes written. */
  append(records: readonly JournalRecord[]): number {
    if (this.fd === undefined) throw new Error('the audit journal is closed');
    const bytes = encodeRecords(records);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
    return bytes.length;
  }

  /** Bytes in the file now. */
  size(): number {
    return this.fd === undefined ? 0 : fstatSync(this.fd).size;
  }

  /** Empties the file: call only when every record in it is in the store. */
  reset(): void {
    if (this.fd !== undefined) ftruncateSync(this.fd, 0);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export function encodeRecords(records: readonly JournalRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const record of records) {
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(crc32(payload), 4);
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

/** The whole records of a journal's bytes, in order, up to a torn or corrupt tail. */
export function decodeRecords(bytes: Buffer): { records: JournalRecord[]; torn: boolean } {
  const records: JournalRecord[] = [];
  let pos = 0;
  while (pos + HEADER <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const sum = bytes.readUInt32BE(pos + 4);
    const end = pos + HEADER + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(pos + HEADER, end);
    if (crc32(payload) !== sum) break;
    records.push(revive(JSON.parse(payload.toString('utf8')) as JournalRecord));
    pos = end;
  }
  return { records, torn: pos !== bytes.length };
}

/** Reads a journal file; a missing file holds nothing. */
export function readJournal(file: string): { records: JournalRecord[]; torn: boolean } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], torn: false };
    throw error;
  }
  return decodeRecords(bytes);
}

/** Dates travel as ISO strings in JSON. */
function revive(record: JournalRecord): JournalRecord {
  switch (record.type) {
    case 'event':
    case 'provisional':
      record.event.at = new Date(record.event.at);
      break;
    case 'signature':
      record.signature.at = new Date(record.signature.at);
      break;
    case 'end':
      record.end.endedAt = new Date(record.end.endedAt);
      break;
  }
  return record;
}
