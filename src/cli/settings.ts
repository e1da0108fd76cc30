import os from 'node:os';
import path from 'node:path';

export const DEFAULT_GATEWAY = 'http://127.0.0.1:8009';

/** The gateway URL: `--gateway`, then `HOOP_GATEWAY`, then the default. Trailing slashes are dropped. */
export function gatewayUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return (flag ?? env.HOOP_GATEWAY ?? DEFAULT_GATEWAY).replace(/\/+$/, '');
}

/** Where the CLI keeps its state: `HOOP_CONFIG_DIR`, default `~/.config/hoop`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.HOOP_CONFIG_DIR ??
    path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'hoop')
  );
}
