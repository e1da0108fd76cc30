import os from 'node:os';
import path from 'node:path';
import { HoopError } from '../lib/errors.js';

export const DEFAULT_GATEWAY = 'http://127.0.0.1:8009';

/**
 * The gateway URL: `--gateway`, then `HOOP_GATEWAY`, then the default.
 * Trailing slashes are dropped; a path is kept, for a gateway behind a
 * reverse proxy under a prefix.
 *
 * @throws HoopError `HOOP_USAGE` when the value is not an http(s) URL, naming where it came from.
 */
export function gatewayUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const from = flag !== undefined ? '--gateway' : env.HOOP_GATEWAY ? 'HOOP_GATEWAY' : undefined;
  const value = (flag ?? (env.HOOP_GATEWAY || DEFAULT_GATEWAY)).trim();
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new HoopError(
      'HOOP_USAGE',
      `${from ?? 'the gateway URL'} is not an http(s) URL: ${JSON.stringify(value)}`,
      { hint: `Write it as ${DEFAULT_GATEWAY} or https://hoop.example.com.` },
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Where the CLI keeps its state: `HOOP_CONFIG_DIR`, default `~/.config/hoop`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.HOOP_CONFIG_DIR ??
    path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'hoop')
  );
}
