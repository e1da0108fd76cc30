import { foldText, unfold } from './chars.js';
import { DETECTORS } from './detectors.js';
import { emptyProfile, profileBytes } from './profile.js';
import { redactUtf8Text } from './redact.js';
import type { Detector, TextProfile } from './types.js';

const ALL_DETECTORS: readonly Detector[] = Object.values(DETECTORS);

/** Longer values are redacted as plain text: one detectable item is never this long. */
const MAX_ITEM_BYTES = 512;

// Reused by every call: masking is synchronous, so one scratch profile per thread is safe.
const scratch = emptyProfile();

/**
 * A whole text value redacted, from its UTF-8 bytes: when the value (less
 * surrounding white space) is one detectable item (an email, a card, a
 * phone…), that detector's format-keeping redaction (`j***@example.com`);
 * otherwise the first character and `***` (`redactUtf8Text`). Returns
 * `undefined` for an empty value, which stays empty. `from` and `to` select
 * the value inside a larger buffer, read in place.
 *
 * A byte profile rules detectors out first, so a value no detector could
 * match is redacted without being decoded, and only the detectors it admits
 * run on the decoded text.
 */
export function redactWholeUtf8(
  bytes: Uint8Array,
  from = 0,
  to = bytes.length,
  detectors: readonly Detector[] = ALL_DETECTORS,
): Buffer | undefined {
  if (from === to) return undefined;
  if (to - from > MAX_ITEM_BYTES) return redactUtf8Text(bytes.subarray(from, to));
  let start = from;
  let end = to;
  while (start < end && isAsciiSpace(bytes[start]!)) start++;
  while (end > start && isAsciiSpace(bytes[end - 1]!)) end--;
  // A non-ASCII edge may be white space that String.prototype.trim removes (U+00A0, U+3000…):
  // decode and trim as text then. ASCII edges make the byte range decode to the trimmed text.
  if (start < end && (bytes[start]! >= 0x80 || bytes[end - 1]! >= 0x80)) {
    return redactTrimmedText(bytes.subarray(from, to), detectors);
  }
  profileBytes(bytes, scratch, start, end);
  let admitted = false;
  for (let i = 0; i < detectors.length && !admitted; i++) admitted = detectors[i]!.admits(scratch);
  if (!admitted) return redactUtf8Text(bytes.subarray(from, to));
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    'utf8',
    start,
    end,
  );
  return (
    whole(text, detectors, scratch, bytes, start, end) ?? redactUtf8Text(bytes.subarray(from, to))
  );
}

function redactTrimmedText(bytes: Uint8Array, detectors: readonly Detector[]): Buffer | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('utf8')
    .trim();
  // The byte profile of the untrimmed value admits at least what the trimmed text's would.
  return whole(text, detectors, profileBytes(bytes, scratch)) ?? redactUtf8Text(bytes);
}

/**
 * The redaction of `text` when it is exactly one detected item, else
 * `undefined`. Overlap resolution (`findAll`) would keep a match spanning the
 * whole text over any other, and among several such the first detector's in
 * priority order: so the first detector that finds one decides, and the
 * others need not run.
 */
function whole(
  text: string,
  detectors: readonly Detector[],
  profile: TextProfile,
  bytes?: Uint8Array,
  start = 0,
  end = 0,
): Buffer | undefined {
  const folded = profile.folds > 0 ? foldText(text) : undefined;
  for (const detector of detectors) {
    if (!detector.admits(profile)) continue;
    for (const found of detector.findFolded(folded === undefined ? text : folded.text, profile)) {
      const match = folded === undefined ? found : unfold(found, folded.map);
      if (match.start === 0 && match.end === text.length) {
        // `bytes[start, end)` is the UTF-8 of `text` when given: redact it in place.
        if (bytes && detector.redactUtf8) return detector.redactUtf8(bytes, start, end, match.kind);
        return Buffer.from(detector.redact(text, match.kind), 'utf8');
      }
    }
  }
  return undefined;
}

/** The ASCII white space that String.prototype.trim removes: TAB, LF, VT, FF, CR, space. */
function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
