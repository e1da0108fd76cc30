import { HoopError } from '../lib/errors.js';
import { refusalError } from '../tunnel/index.js';
import type { AuthConfig } from './oidc-client.js';

/** Asks the gateway which identity provider to log in with (`GET /api/auth/config`, no token needed). */
export async function fetchAuthConfig(gateway: string): Promise<AuthConfig> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${gateway}/api/auth/config`, { signal: AbortSignal.timeout(15_000) });
    text = await response.text();
  } catch (error) {
    throw new HoopError('HOOP_GATEWAY_UNREACHABLE', `cannot reach the gateway at ${gateway}`, {
      hint: 'Check that the gateway is running and HOOP_GATEWAY (or --gateway) points at it.',
      cause: error,
    });
  }
  if (!response.ok) throw refusalError(response.status, text);
  const body = JSON.parse(text) as Partial<AuthConfig>;
  if (typeof body.issuer !== 'string' || typeof body.clientId !== 'string') {
    throw new HoopError(
      'HOOP_GATEWAY_UNREACHABLE',
      `${gateway} did not answer like a hoop gateway`,
      {
        hint: 'Check HOOP_GATEWAY.',
      },
    );
  }
  return {
    issuer: body.issuer,
    clientId: body.clientId,
    scopes: Array.isArray(body.scopes) ? body.scopes : ['openid'],
    ...(typeof body.audience === 'string' ? { audience: body.audience } : {}),
    ...(typeof body.revocationWindowSeconds === 'number'
      ? { revocationWindowSeconds: body.revocationWindowSeconds }
      : {}),
  };
}
