import type { ResultPreview } from './store.js';

/**
 * A preview as stored: its three keys in a fixed order, so the column's text
 * is also the preview's part of an event's canonical form (audit/chain.ts).
 */
export function previewJson(preview: ResultPreview): string {
  return JSON.stringify({
    columns: preview.columns,
    rows: preview.rows,
    truncated: preview.truncated,
  });
}
