export { canonicalEvent, genesisHash, linkHash } from './chain.js';
export { eventOf, terminalEventOf, type UnchainedEvent } from './event-of.js';
export { Journal, JOURNAL_FILE, readJournal, type JournalRecord } from './journal.js';
export { replayJournal, type ReplayResult } from './journal-replay.js';
export { KEY_FILE, loadOrCreateKeyFile, signerFromPem, type AuditSigner } from './signing.js';
export { AuditRecorder, type RecorderOptions } from './recorder.js';
export {
  auditDataDir,
  auditKeyFile,
  auditSigner,
  configuredPublicKey,
  startRecording,
  type Recording,
} from './recording.js';
export { verifyChain, verifySqliteFile, verifyStore } from './verify-store.js';
