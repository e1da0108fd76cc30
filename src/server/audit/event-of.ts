import { createHash } from 'node:crypto';
import { newId } from '../../lib/ids.js';
import type { ActionOutcome, ActionRecord, TerminalChunk } from '../enforcement/index.js';
import type { AuditEvent, CutText, TerminalEvent } from '../store/index.js';

/** An event before the chain numbers and links it. */
export type UnchainedEvent = AuditEvent extends infer E
  ? E extends AuditEvent
    ? Omit<E, 'seq' | 'prevHash' | 'hash'>
    : never
  : never;

/**
 * The audit event for a decided action and how it ended: the decision's
 * record (made by the enforcer) and the protocol's outcome meet here. A
 * record and an outcome of different types make no event. `unfinished`
 * marks an outcome taken before the action's end (see `AuditRecorder.progress`).
 */
export function eventOf(
  sessionId: string,
  record: ActionRecord,
  outcome: ActionOutcome,
  maxTextBytes = Infinity,
  at = new Date(),
  unfinished = false,
): UnchainedEvent | undefined {
  const base = {
    id: newId('evt'),
    sessionId,
    at,
    decision: record.decision,
    ...(record.rule === undefined ? {} : { rule: record.rule }),
    policyHash: record.policyHash,
    durationMs: outcome.durationMs,
    ...(outcome.error
      ? { errorCode: outcome.error.code, errorMessage: outcome.error.message }
      : {}),
    ...(record.review ? { reviewId: record.review.id, reviewOutcome: record.review.outcome } : {}),
  };
  if (record.type === 'sql' && outcome.type === 'sql') {
    const { text, cut } = boundedText(record.text, maxTextBytes);
    // Keys in a fixed order: the detail's JSON is part of the event's hash.
    const detail = unfinished ? { ...cut, unfinished: true as const } : cut;
    return {
      ...base,
      kind: 'statement',
      text,
      ...(detail ? { detail } : {}),
      kinds: record.kinds,
      tables: record.tables,
      ...(record.fingerprint === undefined ? {} : { fingerprint: record.fingerprint }),
      ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
      ...(outcome.preview ? { preview: outcome.preview } : {}),
    };
  }
  if (record.type === 'command' && outcome.type === 'command') {
    const { text, cut } = boundedText(record.line, maxTextBytes);
    return {
      ...base,
      kind: 'command',
      text,
      // Keys in a fixed order: the detail's JSON is part of the event's hash.
      detail: {
        shell: record.shell,
        ...(cut ? { cut } : {}),
        ...(outcome.exitStatus === undefined ? {} : { exitStatus: outcome.exitStatus }),
        ...(outcome.signal === undefined ? {} : { signal: outcome.signal }),
        ...(outcome.output ? { output: outcome.output } : {}),
      },
    };
  }
  if (record.type === 'http' && outcome.type === 'http') {
    return {
      ...base,
      kind: 'http',
      text: `${record.method} ${record.path}`,
      detail: {
        method: record.method,
        path: record.path,
        ...(record.kubernetes ? { kubernetes: record.kubernetes } : {}),
        ...(outcome.status === undefined ? {} : { status: outcome.status }),
        ...(outcome.bytes === undefined ? {} : { bytes: outcome.bytes }),
        ...(outcome.body ? { body: outcome.body } : {}),
      },
    };
  }
  return undefined;
}

/** The audit event for a chunk of a terminal session. */
export function terminalEventOf(
  sessionId: string,
  chunk: TerminalChunk,
  at = new Date(),
): Omit<TerminalEvent, 'seq' | 'prevHash' | 'hash'> {
  return {
    id: newId('evt'),
    sessionId,
    at,
    kind: 'terminal',
    text: '',
    decision: 'allow',
    detail: { stream: chunk.stream, data: chunk.data.toString('base64') },
  };
}

/**
 * A text kept whole up to `maxBytes` of UTF-8; a longer one keeps its
 * first `maxBytes` (cut at a character boundary) and, in `cut`, its whole
 * size and SHA-256, so that what ran can still be proven against a copy.
 */
export function boundedText(text: string, maxBytes: number): { text: string; cut?: CutText } {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most texts need no encoding at all.
  if (text.length * 3 <= maxBytes) return { text };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text };
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return {
    text: bytes.toString('utf8', 0, end),
    cut: {
      textBytes: bytes.length,
      textSha256: createHash('sha256').update(bytes).digest('hex'),
    },
  };
}
