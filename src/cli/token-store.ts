import { randomBytes } from 'node:crypto';
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
  /** Where, for people: `the OS keychain`, or the file's path. */
  readonly location: string;
  load(gateway: string): Promise<StoredLogin | undefined>;
  save(login: StoredLogin): Promise<void>;
  remove(gateway: string): Promise<void>;
}

const KEYCHAIN_SERVICE = 'hoop';

/** The keychain calls the store makes, one secret per gateway URL. Errors are thrown. */
export interface Keychain {
  get(account: string): string | null;
  set(account: string, secret: string): void;
  delete(account: string): void;
}

export interface TokenStoreOptions {
  /**
   * The OS keychain; by default `@napi-rs/keyring` when it loads and
   * answers, else none. `null` means none (the file only).
   */
  keychain?: Keychain | null;
}

/**
 * Opens the token store: the OS keychain when one answers (through the
 * optional `@napi-rs/keyring`, loaded on demand), otherwise a file under the
 * config dir. `HOOP_TOKEN_STORE=file` forces the file (CI, tests, servers
 * without a desktop session). Any keychain error falls back to the file.
 */
export async function openTokenStore(
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
  options: TokenStoreOptions = {},
): Promise<TokenStore> {
  const file = fileTokenStore(path.join(configDir, 'credentials.json'));
  if (env.HOOP_TOKEN_STORE === 'file') return file;
  const keychain = options.keychain === undefined ? await osKeychain() : options.keychain;
  return keychain ? keychainTokenStore(keychain, file) : file;
}

/**
 * `@napi-rs/keyring`, if it loads and a keychain answers. On Linux only the
 * Secret Service (GNOME Keyring, KWallet …) counts: the library would
 * otherwise fall back to the kernel keyring, which forgets everything at
 * reboot and on shared kernels refuses names other users hold (AccessDenied).
 */
async function osKeychain(): Promise<Keychain | undefined> {
  let Entry: typeof import('@napi-rs/keyring').Entry;
  try {
    ({ Entry } = await import('@napi-rs/keyring'));
  } catch {
    return undefined;
  }
  const entry = (account: string) =>
    new Entry(
      KEYCHAIN_SERVICE,
      account,
      process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined,
    );
  const keychain: Keychain = {
    get: (account) => entry(account).getPassword(),
    set: (account, secret) => entry(account).setPassword(secret),
    delete: (account) => void entry(account).deletePassword(),
  };
  try {
    // Probe once: without a keychain service (no desktop session) every call fails.
    keychain.get('__probe__');
  } catch {
    return undefined;
  }
  return keychain;
}

/**
 * Logins in the keychain, with the file as the fallback for every call that
 * fails (a locked keychain, an access-control prompt refused): a login that
 * could only be saved to the file is found there again, and `kind` says
 * where the last login went.
 */
function keychainTokenStore(keychain: Keychain, file: TokenStore): TokenStore {
  let kind: TokenStore['kind'] = 'keychain';
  const attempt = <T>(call: () => T): { ok: true; value: T } | { ok: false } => {
    try {
      return { ok: true, value: call() };
    } catch {
      return { ok: false };
    }
  };
  return {
    get kind() {
      return kind;
    },
    get location() {
      return kind === 'keychain' ? 'the OS keychain' : file.location;
    },
    async load(gateway) {
      const found = attempt(() => keychain.get(gateway));
      if (found.ok && found.value) {
        try {
          return JSON.parse(found.value) as StoredLogin;
        } catch {
          // Not ours, or damaged: as good as no login.
        }
      }
      return file.load(gateway);
    },
    async save(login) {
      if (attempt(() => keychain.set(login.gateway, JSON.stringify(login))).ok) {
        kind = 'keychain';
        // An older login kept in the file while the keychain failed must not outlive this one.
        await file.remove(login.gateway).catch(() => {});
        return;
      }
      kind = 'file';
      await file.save(login);
    },
    async remove(gateway) {
      attempt(() => keychain.delete(gateway));
      await file.remove(gateway);
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
    // Write then rename, so a crash never leaves half a file; the temp file is 0600 from its
    // creation, and its name is unique so that two saves at once cannot take each other's.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  };
  return {
    kind: 'file',
    location: file,
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
