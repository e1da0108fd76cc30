/** The content detectors a mask rule can name (`mask.detectors` in the policy). */
export const DETECTOR_NAMES = [
  'email',
  'credit_card',
  'phone',
  'national_id',
  'iban',
  'ip',
  'secrets',
] as const;

export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * One match inside a text: UTF-16 offsets, `end` exclusive. `kind` names the
 * variant when a detector knows several (`ssn`, `jwt`, `ipv4`…); redaction and
 * audit use it.
 */
export interface Match {
  start: number;
  end: number;
  kind?: string;
}

/**
 * Counts gathered in one pass over a value (bytes or string) so that every
 * detector can rule itself out before any regex runs. Characters count as
 * they fold (`chars.ts`): a full-width `４` is a digit, a zero-width space is
 * nothing; other non-ASCII characters count towards `length` alone.
 */
export interface TextProfile {
  /** Bytes for a Buffer, UTF-16 code units for a string. */
  length: number;
  digits: number;
  upper: number;
  at: number;
  dots: number;
  colons: number;
  /** Longest run of base64/token characters `[A-Za-z0-9_+/=-]`. */
  tokenRun: number;
  /** Characters the fold changes or drops: when 0, the text is its own fold. */
  folds: number;
  /** `at` (any case) after a space or an opening bracket: ` at `, `[at]` of a spelled-out address. */
  atWords: number;
}

export interface Detector {
  readonly name: DetectorName;
  /** Cheap necessary condition on the profile: false means `find` cannot match. */
  admits(profile: TextProfile): boolean;
  /** `admits` on a string's profile; for callers that have no profile at hand. */
  mightContain(text: string): boolean;
  /** Every match in free text, left to right, non-overlapping; the text is folded first. */
  find(text: string): Match[];
  /**
   * `find` on text that is its own fold (`foldText`): what `find` runs after
   * folding. `profile`, the text's (or its bytes'), lets a detector skip the
   * parts of its scan the counts rule out.
   */
  findFolded(text: string, profile?: TextProfile): Match[];
  /** The replacement for one matched value. */
  redact(value: string, kind?: string): string;
  /**
   * `redact` on the UTF-8 bytes `bytes[start, end)` of a matched value,
   * where the detector can compute it without decoding: the same output,
   * encoded.
   */
  redactUtf8?(bytes: Uint8Array, start: number, end: number, kind?: string): Buffer;
}
