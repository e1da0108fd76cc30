import { loadConfig } from '../config/index.js';
import { configuredPublicKey } from '../audit/recording.js';

/** What `hoop audit verify` and `hoop audit public-key` run on the gateway host. */
export { verifyAudit } from '../audit/verify-config.js';

/** The PEM of the public key that verifies the signatures of the gateway this config runs. */
export async function auditPublicKey(configFile: string): Promise<string> {
  const config = await loadConfig(configFile);
  return configuredPublicKey(config.audit, config.store, config.file).pem;
}
