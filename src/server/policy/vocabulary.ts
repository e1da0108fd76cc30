/**
 * The words a policy may use for SQL statement kinds and content detectors.
 * Kept in one place so that `hoop policy check`, the schema and the docs agree.
 */

/**
 * Statement kinds as the SQL classifier reports them (`StatementKind` in
 * src/server/sql/types.ts; not imported, so that policy stays independent of
 * the SQL parser). A rule naming a kind that is not here is a typo, reported
 * with a suggestion.
 */
export const STATEMENT_KINDS = [
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'ddl',
  'drop',
  'truncate',
  'grant',
  'copy',
  'call',
  'do',
  'explain',
  'transaction',
  'set',
  'show',
  'lock',
  'prepare',
  'execute',
  'listen',
  'notify',
  'vacuum',
  'cursor',
  /** A statement the classifier knows as one but has no kind for. */
  'utility',
] as const;

export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** Content detectors the masking stage runs over result values (`DETECTOR_NAMES` there). */
export const DETECTORS = [
  'email',
  /** Card numbers that pass the Luhn check. */
  'credit_card',
  'phone',
  'national_id',
  'iban',
  'ip',
  /** API keys, tokens, private keys. */
  'secrets',
] as const;

export type Detector = (typeof DETECTORS)[number];
