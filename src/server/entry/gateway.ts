/**
 * What `hoop server` needs of the gateway. Commands reach the server only
 * through the modules of `src/server/entry/` (a dependency rule checks it),
 * and load them dynamically, so the CLI starts without them.
 */
export { loadConfig, type GatewayConfig } from '../config/index.js';
export { startGateway, type Gateway, type GatewayOptions } from '../gateway.js';
export { createLogger, type Logger } from '../logger.js';
