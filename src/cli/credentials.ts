import { HoopError } from '../lib/errors.js';

/**
 * The bearer token for gateway calls. `HOOP_TOKEN` (an API key or a token
 * from the identity provider) replaces any stored login: the way agents and
 * CI authenticate.
 */
export async function resolveToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const token = env.HOOP_TOKEN?.trim();
  if (token) return token;
  throw new HoopError('HOOP_AUTH_MISSING', 'not logged in', {
    hint: 'Run `hoop login`, or set HOOP_TOKEN to an API key.',
  });
}
