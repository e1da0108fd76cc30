import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HoopError } from '../lib/errors.js';
import type { Tokens } from './oidc-client.js';

/** What `hoop login` keeps per gateway: the tokens and where they came from, to refresh them. */
export interface StoredLogin extends Tokens {
  gateway: string;
  issuer: string;
  clientId: string;
  audience?: string;
}

export interface TokenStore {
  /** Where logins are kept: the OS keychain, or a 0600 file. */
  readonly kind: 'keychain' | 'file';
  load(gateway: string): Promise<StoredLogin | undefined>;
  save(login: StoredLogin): Promise<void>;
  remove(gateway: string): Promise<void>;
}

const KEYCHAIN_SERVICE = 'hoop';

/**
 * Opens the token store: the OS keychain when one answers (through the
 * optional `@napi-rs/keyring`, loaded on demand), otherwise a file under the
 * config dir. `HOOP_TOKEN_STORE=file` forces the file (CI, tests, servers
 * without a desktop session). Any keychain error falls back to the file.
 */
export async function openTokenStore(
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TokenStore> {
  const file = fileTokenStore(path.join(configDir, 'credentials.json'));
  if (env.HOOP_TOKEN_STORE === 'file') return file;
  const keychain = await keychainTokenStore();
  return keychain ?? file;
}

async function keychainTokenStore(): Promise<TokenStore | undefined> {
  let Entry: typeof import('@napi-rs/keyring').Entry;
  try {
    ({ Entry } = await import('@napi-rs/keyring'));
    // Probe once: without a keychain service (no desktop session) every call fails.
    new Entry(KEYCHAIN_SERVICE, '__probe__').getPassword();
  } catch {
    return undefined;
  }
  return {
    kind: 'keychain',
    async load(gateway) {
      const text = new Entry(KEYCHAIN_SERVICE, gateway).getPassword();
      return text ? (JSON.parse(text) as StoredLogin) : undefined;
    },
    async save(login) {
      new Entry(KEYCHAIN_SERVICE, login.gateway).setPassword(JSON.stringify(login));
    },
    async remove(gateway) {
      new Entry(KEYCHAIN_SERVICE, gateway).deletePassword();
    },
  };
}

/**
 * Logins in one JSON file keyed by gateway URL, mode 0600 in a 0700
 * directory. A file that others can read is refused rather than used: the
 * tokens in it may already have leaked, and silently fixing the mode would
 * hide that.
 */
export function fileTokenStore(file: string): TokenStore {
  const readAll = async (): Promise<Record<string, StoredLogin>> => {
    let mode: number;
    try {
      mode = (await stat(file)).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    if (mode & 0o077) {
      throw new HoopError(
        'HOOP_AUTH_MISSING',
        `${file} is readable by other users (mode ${(mode & 0o777).toString(8)})`,
        {
          hint: `Run \`chmod 600 ${file}\` and \`hoop login\` again if others may have read it.`,
        },
      );
    }
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, StoredLogin>;
    } catch {
      throw new HoopError('HOOP_AUTH_MISSING', `${file} is not valid JSON`, {
        hint: 'Run `hoop logout` and `hoop login` again.',
      });
    }
  };
  const writeAll = async (logins: Record<string, StoredLogin>): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // Write then rename, so a crash never leaves half a file; the temp file is 0600 from its creation.
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  };
  return {
    kind: 'file',
    async load(gateway) {
      return (await readAll())[gateway];
    },
    async save(login) {
      const all = await readAll();
      all[login.gateway] = login;
      await writeAll(all);
    },
    async remove(gateway) {
      const all = await readAll();
      if (!(gateway in all)) return;
      delete all[gateway];
      await writeAll(all);
    },
  };
}
