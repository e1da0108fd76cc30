import type { VerifyResult } from '../audit-chain/index.js';

/** One line per problem, then the summary. */
export function verifyText(result: VerifyResult): string {
  const lines = result.problems.map(
    (problem) => `${problem.sessionId} seq ${problem.seq}: ${problem.kind}: ${problem.detail}`,
  );
  const counts =
    `${result.sessions} session${result.sessions === 1 ? '' : 's'}, ${result.events} events, ` +
    `${result.signatures} signatures (${result.sealed} sealed, ${result.open} open or closed by a gateway restart)`;
  const key = `public key ${result.publicKey.fingerprint} (${result.publicKey.file ?? "the gateway's signing key"})`;
  lines.push(
    result.intact
      ? `intact: ${counts}, checked with ${key}`
      : `NOT INTACT: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${counts}, checked with ${key}`,
  );
  return lines.join('\n');
}
