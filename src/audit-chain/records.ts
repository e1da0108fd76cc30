/**
 * The records a session's chain is made of, as the chain reads them. The
 * store owns its own record types; they have these fields (and more), so
 * the chain can hash and verify them without importing the store.
 */

/** A session's start record: who, through which connection, from where, when. */
export interface ChainSessionStart {
  id: string;
  subject: string;
  identityName: string;
  identityKind: string;
  authMethod: string;
  groups: readonly string[];
  connection: string;
  connectionType: string;
  clientAddr: string;
  startedAt: Date;
  actors?: readonly string[];
  tokenId?: string;
}

/** How a session ended. */
export interface ChainSessionEnd {
  endedAt: Date;
  bytesUp: number;
  bytesDown: number;
  closeReason: string;
  closeDetail?: string;
}

/** A session as stored: its start, and its end once it has ended. */
export interface ChainSession extends ChainSessionStart {
  endedAt?: Date;
  bytesUp: number;
  bytesDown: number;
  closeReason?: string;
  closeDetail?: string;
}

/** A gateway's Ed25519 signature over a session's chain head at `seq` (`final`: over its end hash). */
export interface ChainSignature {
  sessionId: string;
  seq: number;
  /** The signed hash, hex. */
  hash: string;
  final: boolean;
  /** Names the signing key: 16 hex digits of SHA-256 of its public key. */
  keyId: string;
  /** Base64 Ed25519 signature. */
  signature: string;
  at: Date;
}
