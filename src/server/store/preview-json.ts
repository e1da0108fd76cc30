import type { ResultPreview } from './records.js';

/** Each preview is serialized once: for its event's hash, the journal and the store. */
const serialized = new WeakMap<ResultPreview, string>();

/**
 * A preview as stored: its three keys in a fixed order, so the column's text
 * is also the preview's part of an event's canonical form (audit/chain.ts).
 * Previews are not changed once made, so the text is kept per object.
 */
export function previewJson(preview: ResultPreview): string {
  let json = serialized.get(preview);
  if (json === undefined) {
    json = JSON.stringify({
      columns: preview.columns,
      rows: preview.rows,
      truncated: preview.truncated,
    });
    serialized.set(preview, json);
  }
  return json;
}
