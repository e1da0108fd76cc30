import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HoopError } from '../../lib/errors.js';
import type { AuditConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import { publicKeyFromPem } from '../../audit-chain/index.js';
import type { AuditEvent, Store } from '../store/index.js';
import { Journal, JOURNAL_FILE } from './journal.js';
import { replayJournal } from './journal-replay.js';
import { AuditRecorder } from './recorder.js';
import { KEY_FILE, loadOrCreateKeyFile, signerFromPem, type AuditSigner } from './signing.js';

/**
 * Where the gateway keeps its audit files (journal, signing key): next to a
 * SQLite store, in `.hoop/` next to the config file for a PostgreSQL store,
 * nowhere for `sqlite::memory:` (nothing there outlives the process).
 */
export function auditDataDir(storeUrl: string, configFile: string): string | undefined {
  if (storeUrl === 'sqlite::memory:') return undefined;
  if (storeUrl.startsWith('sqlite:')) return path.dirname(storeUrl.slice('sqlite:'.length));
  const base = configFile === '<inline>' ? process.cwd() : path.dirname(configFile);
  return path.join(base, '.hoop');
}

/** The audit journal of a gateway with this config: `audit.journal`, else next to its store (none in memory). */
export function auditJournalFile(
  audit: AuditConfig,
  storeUrl: string,
  configFile: string,
): string | undefined {
  const dir = auditDataDir(storeUrl, configFile);
  return audit.journal ?? (dir && path.join(dir, JOURNAL_FILE));
}

/** The default key file of a gateway configured with this store and config file. */
export function auditKeyFile(storeUrl: string, configFile: string): string | undefined {
  const dir = auditDataDir(storeUrl, configFile);
  return dir && path.join(dir, KEY_FILE);
}

/** The signer the gateway uses: `audit.signingKey`, else the key file (made at first start). */
export function auditSigner(audit: AuditConfig, storeUrl: string, configFile: string): AuditSigner {
  if (audit.signingKey !== undefined) return signerFromPem(audit.signingKey, 'audit.signingKey');
  const file = auditKeyFile(storeUrl, configFile);
  if (file) return loadOrCreateKeyFile(file);
  // An in-memory store: a key for this process only, like the record itself.
  const { privateKey } = generateKeyPairSync('ed25519');
  return signerFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'an ephemeral key',
  );
}

export interface Recording {
  recorder: AuditRecorder;
  signer: AuditSigner;
  /** Absolute path of the journal, when there is one. */
  journalFile?: string;
  /** Writes out what is pending and closes the journal. */
  close(): Promise<void>;
}

/**
 * Opens the audit recording of a gateway: the signing key, then the journal
 * a previous gateway may have left (replayed into the store before anything
 * is served), then the recorder.
 */
export async function startRecording(options: {
  audit: AuditConfig;
  storeUrl: string;
  configFile: string;
  store: Store;
  log: Logger;
  onRecorded?: (event: AuditEvent) => void;
}): Promise<Recording> {
  const { audit, storeUrl, configFile, store, log } = options;
  const signer = auditSigner(audit, storeUrl, configFile);
  const journalFile = auditJournalFile(audit, storeUrl, configFile);
  let journal: Journal | undefined;
  if (journalFile) {
    const replayed = await replayJournal(journalFile, store);
    if (replayed.events + replayed.signatures + replayed.ends > 0 || replayed.torn) {
      log.info(
        { event: 'audit_journal_replayed', file: journalFile, ...replayed },
        'audit records a previous gateway left in the journal are in the store',
      );
    }
    journal = Journal.open(journalFile);
  }
  const recorder = new AuditRecorder({
    store,
    signer,
    log,
    maxTextBytes: audit.maxTextBytes,
    ...(journal ? { journal } : {}),
    ...(options.onRecorded ? { onRecorded: options.onRecorded } : {}),
  });
  return {
    recorder,
    signer,
    ...(journalFile ? { journalFile } : {}),
    async close() {
      await recorder.close();
      journal?.close();
    },
  };
}

/**
 * The public key that verifies a gateway's signatures, from its config
 * (`audit.signingKey`, else the key file next to the store), without making
 * one: what `hoop audit verify` and `hoop audit public-key` use.
 */
export function configuredPublicKey(
  audit: AuditConfig,
  storeUrl: string,
  configFile: string,
): { key: KeyObject; pem: string; source: string } {
  let pem: string;
  let source: string;
  if (audit.signingKey !== undefined) {
    pem = audit.signingKey;
    source = 'audit.signingKey';
  } else {
    const file = auditKeyFile(storeUrl, configFile);
    if (!file) {
      throw new HoopError(
        'HOOP_AUDIT_KEY_INVALID',
        'an in-memory store has no lasting signing key',
        {
          hint: 'Pass --public-key FILE, or configure audit.signingKey.',
        },
      );
    }
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new HoopError('HOOP_AUDIT_KEY_INVALID', `cannot read the audit signing key ${file}`, {
        hint: 'Run this on the gateway host (the gateway makes the key at its first start), or pass --public-key FILE.',
        cause: error,
      });
    }
    source = file;
  }
  const key = publicKeyFromPem(pem, source);
  return { key, pem: key.export({ type: 'spki', format: 'pem' }).toString(), source };
}
