import {
  CANONICAL_EVENT_COLUMNS,
  canonicalEventValues,
  genesisHash,
  linkHash,
} from '../../audit-chain/index.js';
import { toEventRow, type AuditEvent } from '../store/index.js';

/**
 * The canonical form of an event the gateway records (src/audit-chain): its
 * row's columns in canonical order, the same text the store keeps, so the
 * hash made here is the one a verifier recomputes from the stored row.
 */
export function canonicalEvent(event: AuditEvent): string {
  const row = toEventRow(event);
  return canonicalEventValues(CANONICAL_EVENT_COLUMNS.map((column) => row[column]));
}

export { genesisHash, linkHash };
