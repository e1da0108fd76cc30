export type { ApiKeyConfig, ConnectionConfig, ConnectionType, GatewayConfig } from './types.js';
export { loadConfig, parseConfig } from './load.js';
