import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  publicKeyFingerprint,
  publicKeyFromPem,
  summarize,
  type ChainReport,
  type VerifyResult,
} from '../../audit-chain/index.js';
import { HoopError } from '../../lib/errors.js';
import { loadConfig } from '../config/index.js';
import { openStore } from '../store/index.js';
import { configuredPublicKey } from './recording.js';
import { verifySqliteFile, verifyStore } from './verify-store.js';

/**
 * Verifies the chains of the store a gateway config names, read directly
 * (an operator tool on the gateway host: the store's file, or its
 * PostgreSQL URL), with the config's key or `publicKeyFile`: what `hoop
 * audit verify` runs.
 */
export async function verifyAudit(options: {
  configFile: string;
  sessionId?: string;
  publicKeyFile?: string;
}): Promise<VerifyResult> {
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
    key = publicKeyFromPem(pem, options.publicKeyFile);
  } else {
    ({ key } = configuredPublicKey(config.audit, config.store, config.file));
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
      for (const report of verifySqliteFile(file, key, options.sessionId)) take(report);
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
      for await (const report of verifyStore(store, key, options.sessionId)) take(report);
    } finally {
      await store.close();
    }
  }
  return summarize(reports, publicKey);
}
