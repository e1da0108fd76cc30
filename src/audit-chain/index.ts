/**
 * The audit record's hash chain and signatures: how records are hashed and
 * how a chain is verified. Pure and below both sides: the gateway hashes
 * what it records with it, `hoop audit verify` checks stored rows with it.
 */
export {
  CANONICAL_EVENT_COLUMNS,
  CHAIN_VERSION,
  CHAIN_VERSION_2,
  canonicalEnd,
  canonicalEventValues,
  canonicalSession,
  EVENT_COLUMN,
  genesisHash,
  linkHash,
} from './canonical.js';
export type {
  ChainSession,
  ChainSessionEnd,
  ChainSessionStart,
  ChainSignature,
} from './records.js';
export {
  keyIdOf,
  publicKeyFingerprint,
  publicKeyFromPem,
  signedMessage,
  verifySignature,
} from './signature.js';
export {
  ChainVerifier,
  type ChainProblem,
  type ChainProblemKind,
  type ChainReport,
} from './verify.js';
export { summarize, type VerifyResult } from './summary.js';
