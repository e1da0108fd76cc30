import { foldText, unfold } from './chars.js';
import { leftmostLongest } from './overlaps.js';
import { emptyProfile, profileBytes, profileText } from './profile.js';
import type { Detector, Match, TextProfile } from './types.js';

interface Found extends Match {
  detector: Detector;
}

// Reused by every call: masking is synchronous, so one scratch profile per
// thread is safe, and the no-match path allocates nothing.
const scratch = emptyProfile();

/**
 * Masks every detector match in free text: each match is replaced by its
 * detector's redaction. Detectors read the text folded (`chars.ts`: digits of
 * any script, full-width forms, Unicode spaces and dashes as ASCII; invisible
 * characters dropped); a match covers the original characters it was read
 * from. Overlaps resolve leftmost-longest, then by the order of `detectors`
 * (see `resolveDetectors`). Returns `undefined` when nothing matched, so the
 * caller keeps the original value.
 */
export function maskText(text: string, detectors: readonly Detector[]): string | undefined {
  if (detectors.length === 0) return undefined;
  return maskProfiled(text, detectors, profileText(text, scratch));
}

/**
 * `maskText` for a UTF-8 field straight off the wire. A one-pass byte profile
 * decides first whether any detector could match; if none can, it returns
 * `undefined` without decoding or allocating, and the caller forwards the
 * original bytes. Otherwise it returns the masked value as UTF-8, or
 * `undefined` when the decoded text held no match after all. `start` and
 * `end` select a field inside a larger buffer, read in place.
 */
export function maskUtf8(
  bytes: Uint8Array,
  detectors: readonly Detector[],
  start = 0,
  end = bytes.length,
): Buffer | undefined {
  if (detectors.length === 0) return undefined;
  profileBytes(bytes, scratch, start, end);
  if (!anyAdmits(detectors)) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    'utf8',
    start,
    end,
  );
  // The byte profile stands in for the text's: byte counts are never smaller, so it admits
  // at least what the text's profile would.
  const masked = maskProfiled(text, detectors, scratch);
  return masked === undefined ? undefined : Buffer.from(masked, 'utf8');
}

function anyAdmits(detectors: readonly Detector[]): boolean {
  for (let i = 0; i < detectors.length; i++) if (detectors[i]!.admits(scratch)) return true;
  return false;
}

/**
 * Every match of the detectors `profile` admits, in `text`'s offsets, before
 * overlap resolution; `undefined` for none. The text is folded once for all
 * detectors, and only when the profile saw something to fold.
 */
function findProfiled(
  text: string,
  detectors: readonly Detector[],
  profile: TextProfile,
): Found[] | undefined {
  let found: Found[] | undefined;
  const folded = profile.folds > 0 ? foldText(text) : undefined;
  const scanned = folded === undefined ? text : folded.text;
  for (const detector of detectors) {
    if (!detector.admits(profile)) continue;
    for (const match of detector.findFolded(scanned, profile)) {
      (found ??= []).push({ ...(folded ? unfold(match, folded.map) : match), detector });
    }
  }
  return found;
}

function maskProfiled(
  text: string,
  detectors: readonly Detector[],
  profile: TextProfile,
): string | undefined {
  const found = findProfiled(text, detectors, profile);
  if (found === undefined) return undefined;
  let out = '';
  let at = 0;
  for (const m of leftmostLongest(found)) {
    out += text.slice(at, m.start) + m.detector.redact(text.slice(m.start, m.end), m.kind);
    at = m.end;
  }
  return out + text.slice(at);
}

/** Every match of every detector in `text`, after overlap resolution: for audit and tests. */
export function findAll(
  text: string,
  detectors: readonly Detector[],
): Array<Match & { detector: string }> {
  const found = findProfiled(text, detectors, profileText(text)) ?? [];
  return leftmostLongest(found).map(({ detector, ...m }) => ({ ...m, detector: detector.name }));
}
