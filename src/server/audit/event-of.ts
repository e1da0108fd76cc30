import { newId } from '../../lib/ids.js';
import type { ActionOutcome, ActionRecord, TerminalChunk } from '../enforcement/index.js';
import type { AuditEvent, TerminalEvent } from '../store/index.js';

/** An event before the chain numbers and links it. */
export type UnchainedEvent = AuditEvent extends infer E
  ? E extends AuditEvent
    ? Omit<E, 'seq' | 'prevHash' | 'hash'>
    : never
  : never;

/**
 * The audit event for a decided action and how it ended: the decision's
 * record (made by the enforcer) and the protocol's outcome meet here. A
 * record and an outcome of different types make no event.
 */
export function eventOf(
  sessionId: string,
  record: ActionRecord,
  outcome: ActionOutcome,
  at = new Date(),
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
    return {
      ...base,
      kind: 'statement',
      text: record.text,
      kinds: record.kinds,
      tables: record.tables,
      ...(record.fingerprint === undefined ? {} : { fingerprint: record.fingerprint }),
      ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
      ...(outcome.preview ? { preview: outcome.preview } : {}),
    };
  }
  if (record.type === 'command' && outcome.type === 'command') {
    return {
      ...base,
      kind: 'command',
      text: record.line,
      // Keys in a fixed order: the detail's JSON is part of the event's hash.
      detail: {
        shell: record.shell,
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
