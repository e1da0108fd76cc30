import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { HoopError } from '../lib/errors.js';
import type { ChainProblem, ChainReport } from '../server/audit/index.js';
import { publicKeyFingerprint } from './key-fingerprint.js';

/** The outcome of `hoop audit verify`, as `--json` prints it. */
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

/**
 * Verifies the chains of the store a gateway config names, read directly
 * (an operator tool on the gateway host: the store's file, or its
 * PostgreSQL URL), with the config's key or `publicKeyFile`.
 */
export async function verifyAudit(options: {
  configFile: string;
  sessionId?: string;
  publicKeyFile?: string;
}): Promise<VerifyResult> {
  const [{ loadConfig }, audit, { openStore }] = await Promise.all([
    import('../server/config/index.js'),
    import('../server/audit/index.js'),
    import('../server/store/index.js'),
  ]);
  const config = await loadConfig(options.configFile);
  let key: KeyObject;
  if (options.publicKeyFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(options.publicKeyFile, 'utf8');
    } catch (error) {
      throw new HoopError(
        'HOOP_AUDIT_KEY_INVALID',
        `cannot read the public key ${options.publicKeyFile}`,
        { hint: 'Print it on the gateway host with: hoop audit public-key', cause: error },
      );
    }
    key = audit.publicKeyFromPem(pem, options.publicKeyFile);
  } else {
    ({ key } = audit.configuredPublicKey(config.audit, config.store, config.file));
  }
  const publicKey = {
    fingerprint: publicKeyFingerprint(key),
    ...(options.publicKeyFile === undefined ? {} : { file: options.publicKeyFile }),
  };

  const reports: ChainReport[] = [];
  const take = (report: ChainReport | { sessionId: string; notFound: true }): void => {
    if ('notFound' in report) {
      throw new HoopError('HOOP_SESSION_NOT_FOUND', `no recorded session ${report.sessionId}`, {
        hint: 'List sessions with: hoop audit list',
      });
    }
    reports.push(report);
  };
  if (config.store.startsWith('sqlite:')) {
    const file = config.store.slice('sqlite:'.length);
    if (file === ':memory:') {
      throw new HoopError(
        'HOOP_USAGE',
        'an in-memory store cannot be verified from outside the gateway',
      );
    }
    try {
      for (const report of audit.verifySqliteFile(file, key, options.sessionId)) take(report);
    } catch (error) {
      if (error instanceof HoopError) throw error;
      throw new HoopError(
        'HOOP_STORE_UNAVAILABLE',
        `cannot read the store ${file}: ${(error as Error).message}`,
        {
          hint: 'Run this on the gateway host, with the config the gateway runs with.',
          cause: error,
        },
      );
    }
  } else {
    const store = await openStore(config.store);
    try {
      for await (const report of audit.verifyStore(store, key, options.sessionId)) take(report);
    } finally {
      await store.close();
    }
  }
  return summarize(reports, publicKey);
}

function summarize(reports: ChainReport[], publicKey: VerifyResult['publicKey']): VerifyResult {
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
