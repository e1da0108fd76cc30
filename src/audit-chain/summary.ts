import type { ChainProblem, ChainReport } from './verify.js';

/** The outcome of verifying a whole store, or one session of it, as `hoop audit verify --json` prints it. */
export interface VerifyResult {
  intact: boolean;
  sessions: number;
  events: number;
  signatures: number;
  /** Sessions whose end is signed. */
  sealed: number;
  /** Sessions without an end signature that legitimately have none (still open, or closed by a gateway restart). */
  open: number;
  problems: ChainProblem[];
  /**
   * The public key the signatures were checked with: its fingerprint (as
   * `hoop audit public-key` prints it), and the file it came from when
   * given with `--public-key` (else it is the config's signing key's).
   */
  publicKey: { fingerprint: string; file?: string };
}

/** Adds up the reports of every session verified. */
export function summarize(
  reports: readonly ChainReport[],
  publicKey: VerifyResult['publicKey'],
): VerifyResult {
  const result: VerifyResult = {
    intact: true,
    sessions: reports.length,
    events: 0,
    signatures: 0,
    sealed: 0,
    open: 0,
    problems: [],
    publicKey,
  };
  for (const report of reports) {
    result.events += report.events;
    result.signatures += report.signatures;
    if (report.sealed) result.sealed++;
    else if (!report.problems.some((problem) => problem.kind === 'unsealed')) result.open++;
    result.problems.push(...report.problems);
  }
  result.intact = result.problems.length === 0;
  return result;
}
