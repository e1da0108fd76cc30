export { canonicalEnd, canonicalEvent, canonicalSession, genesisHash, linkHash } from './chain.js';
export { Journal, JOURNAL_FILE, readJournal, type JournalRecord } from './journal.js';
export { replayJournal, type ReplayResult } from './journal-replay.js';
export {
  KEY_FILE,
  loadOrCreateKeyFile,
  publicKeyFromPem,
  signerFromPem,
  verifySignature,
  type AuditSigner,
} from './signing.js';
export { isStatementAudit, type StatementAudit } from './statement-audit.js';
export { StatementRecorder, type StatementRecorderOptions } from './statement-recorder.js';
export {
  verifyChain,
  type ChainProblem,
  type ChainProblemKind,
  type ChainReport,
} from './verify-chain.js';
export {
  auditDataDir,
  auditKeyFile,
  auditSigner,
  configuredPublicKey,
  startRecording,
  type Recording,
} from './recording.js';
export { verifySqliteFile, verifyStore } from './verify-store.js';
export { ChainVerifier } from './verify-chain.js';
