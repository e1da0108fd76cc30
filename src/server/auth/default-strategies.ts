import type { GatewayConfig } from '../config/index.js';
import { apiKeyStrategy, type ApiKeyRing } from './api-keys.js';
import { delegationPolicy } from './delegation.js';
import { oidcStrategy } from './oidc/index.js';
import type { AuthStrategy } from './strategy.js';

/** API keys first (cheap, recognised by prefix), then the identity provider's tokens. */
export function defaultStrategies(config: GatewayConfig, keys?: ApiKeyRing): AuthStrategy[] {
  const strategies = [apiKeyStrategy(keys ?? config.auth.apiKeys)];
  const { oidc } = config.auth;
  if (oidc) {
    strategies.push(
      oidcStrategy({
        issuer: oidc.issuer,
        clientId: oidc.clientId,
        groupsClaim: oidc.groupsClaim,
        ...(oidc.audience === undefined ? {} : { audience: oidc.audience }),
        allowDelegation: delegationPolicy(config.auth.delegation),
      }),
    );
  }
  return strategies;
}
