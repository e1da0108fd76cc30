import { publicKeyFingerprint } from '../../audit-chain/index.js';
import { loadConfig } from '../config/index.js';
import { configuredPublicKey } from '../audit/recording.js';

/** What `hoop audit verify` and `hoop audit public-key` run on the gateway host. */
export { verifyAudit } from '../audit/verify-config.js';

/** The public key (PEM, and its fingerprint) that verifies the signatures of the gateway this config runs. */
export async function auditPublicKey(
  configFile: string,
): Promise<{ pem: string; fingerprint: string }> {
  const config = await loadConfig(configFile);
  const { key, pem } = configuredPublicKey(config.audit, config.store, config.file);
  return { pem, fingerprint: publicKeyFingerprint(key) };
}
