import type { AuditEvent } from './records.js';

/** Each detail is serialized once: for its event's hash, the journal and the store. */
const serialized = new WeakMap<object, string>();

/**
 * An event's `detail` column as stored: its JSON text (null for a statement,
 * which has one only when its text was cut). Details are built in a fixed key order and never changed
 * once made, so the text is also the detail's part of the event's canonical
 * form (src/audit-chain) and is kept per object.
 */
export function detailJson(event: AuditEvent): string | null {
  if (event.detail === undefined) return null;
  let json = serialized.get(event.detail);
  if (json === undefined) {
    json = JSON.stringify(event.detail);
    serialized.set(event.detail, json);
  }
  return json;
}
