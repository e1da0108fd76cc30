import { resolveToken } from './credentials.js';
import { GatewayClient } from './gateway-client.js';
import { gatewayUrl } from './settings.js';

/** A gateway client for the current user: gateway from flag/env, token from HOOP_TOKEN or the stored login. */
export async function gatewayClient(gatewayFlag?: string): Promise<GatewayClient> {
  const gateway = gatewayUrl(gatewayFlag);
  return new GatewayClient(gateway, await resolveToken(gateway));
}
