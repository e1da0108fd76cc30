export type {
  NotifyTarget,
  ReviewsConfig,
  ApiKeyConfig,
  ConnectionConfig,
  ConnectionType,
  DelegationRule,
  GatewayConfig,
  OidcConfig,
} from './types.js';
export { loadConfig, parseConfig } from './load.js';
