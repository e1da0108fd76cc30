export { startDevIdp, type DevIdp, type DevIdpOptions } from './dev-idp.js';
export type { DevAgent, DevUser } from './accounts.js';
export type { SigningAlg } from './keys.js';
