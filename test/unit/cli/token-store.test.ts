import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  fileTokenStore,
  openTokenStore,
  type Keychain,
  type StoredLogin,
} from '../../../src/cli/token-store.js';
import { HoopError } from '../../../src/lib/errors.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hoop-token-store-'));
});
after(() => rm(root, { recursive: true, force: true }));

let dirs = 0;
/** A config dir that does not exist yet, as on a first `hoop login`. */
function configDir(): string {
  dirs += 1;
  return path.join(root, `config-${dirs}`, 'hoop');
}

function login(gateway: string, accessToken = `at-${gateway}`): StoredLogin {
  return {
    gateway,
    issuer: 'https://idp.example.test',
    clientId: 'hoop-cli',
    accessToken,
    refreshToken: `rt-${gateway}`,
    expiresAt: 2_000_000_000,
    subject: 'alice',
  };
}

const A = 'https://a.example.test';
const B = 'https://b.example.test';

describe('the credentials file', () => {
  test('is created 0600 in a 0700 directory, one entry per gateway', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const store = fileTokenStore(file);
    assert.equal(store.kind, 'file');
    assert.equal(await store.load(A), undefined, 'no file yet is no login');

    await store.save(login(A));
    await store.save(login(B));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await store.load(A), login(A));
    assert.deepEqual(Object.keys(JSON.parse(await readFile(file, 'utf8'))), [A, B]);

    await store.save(login(A, 'newer'));
    assert.equal((await store.load(A))?.accessToken, 'newer');
    assert.equal((await store.load(B))?.accessToken, `at-${B}`);
  });

  for (const mode of [0o644, 0o640, 0o604]) {
    test(`is refused, not repaired, when its mode is ${mode.toString(8)}`, async () => {
      const file = path.join(configDir(), 'credentials.json');
      const store = fileTokenStore(file);
      await store.save(login(A));
      await chmod(file, mode);
      const refused = (error: unknown) => {
        assert.ok(error instanceof HoopError);
        assert.equal(error.code, 'HOOP_AUTH_MISSING');
        assert.equal(error.exitCode, 5);
        assert.equal(
          error.message,
          `${file} is readable by other users (mode ${mode.toString(8)})`,
        );
        assert.equal(
          error.hint,
          `Run \`chmod 600 ${file}\` and \`hoop login\` again if others may have read it.`,
        );
        return true;
      };
      await assert.rejects(store.load(A), refused);
      await assert.rejects(store.save(login(A, 'other')), refused);
      await assert.rejects(store.remove(A), refused);
      assert.equal((await stat(file)).mode & 0o777, mode, 'the mode is left as found');
      await chmod(file, 0o600);
      assert.equal((await store.load(A))?.accessToken, `at-${A}`, 'and the content too');
    });
  }

  test('that is not JSON is refused with advice', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    await fileTokenStore(file).save(login(A));
    await writeFile(file, '{"half', { mode: 0o600 });
    await assert.rejects(fileTokenStore(file).load(A), {
      code: 'HOOP_AUTH_MISSING',
      message: `${file} is not valid JSON`,
      hint: 'Run `hoop logout` and `hoop login` again.',
    });
  });

  test('is replaced whole by each save (write, then rename), never edited in place', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const store = fileTokenStore(file);
    await store.save(login(A));
    const before = (await stat(file)).ino;
    await store.save(login(A, 'next'));
    assert.notEqual((await stat(file)).ino, before, 'a new file took the old one’s name');
    assert.deepEqual(await readdir(dir), ['credentials.json'], 'no temporary file is left');
  });

  test('survives saves racing in one process (regression: they shared one temp file)', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const store = fileTokenStore(file);
    await store.save(login(A));
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.save(login(A, `racing-${i}`))));
    assert.match((await store.load(A))?.accessToken ?? '', /^racing-\d$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['credentials.json']);
  });

  test('remove deletes one gateway’s login and creates nothing when there is none', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const store = fileTokenStore(file);
    await store.remove(A);
    await assert.rejects(stat(file), { code: 'ENOENT' });

    await store.save(login(A));
    await store.save(login(B));
    await store.remove(A);
    assert.equal(await store.load(A), undefined);
    assert.deepEqual(await store.load(B), login(B));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});

/** A keychain in memory; `fail` names the calls that throw, as a locked keychain would. */
function memoryKeychain(fail: ('get' | 'set' | 'delete')[] = []) {
  const secrets = new Map<string, string>();
  const calls: string[] = [];
  const check = (call: 'get' | 'set' | 'delete', account: string) => {
    calls.push(`${call} ${account}`);
    if (fail.includes(call)) throw new Error("Couldn't access platform storage: AccessDenied");
  };
  const keychain: Keychain = {
    get(account) {
      check('get', account);
      return secrets.get(account) ?? null;
    },
    set(account, secret) {
      check('set', account);
      secrets.set(account, secret);
    },
    delete(account) {
      check('delete', account);
      secrets.delete(account);
    },
  };
  return { keychain, secrets, calls };
}

describe('openTokenStore', () => {
  test('HOOP_TOKEN_STORE=file uses the file even when a keychain answers', async () => {
    const dir = configDir();
    const { keychain, calls } = memoryKeychain();
    const store = await openTokenStore(dir, { HOOP_TOKEN_STORE: 'file' }, { keychain });
    assert.equal(store.kind, 'file');
    await store.save(login(A));
    assert.deepEqual(calls, []);
    assert.equal((await stat(path.join(dir, 'credentials.json'))).mode & 0o777, 0o600);
  });

  test('without a keychain, the file', async () => {
    const dir = configDir();
    const store = await openTokenStore(dir, {}, { keychain: null });
    assert.equal(store.kind, 'file');
    await store.save(login(A));
    assert.deepEqual(await store.load(A), login(A));
  });

  test('a working keychain keeps logins, and nothing goes to the file', async () => {
    const dir = configDir();
    const { keychain, secrets } = memoryKeychain();
    const store = await openTokenStore(dir, {}, { keychain });
    await store.save(login(A));
    assert.equal(store.kind, 'keychain');
    assert.deepEqual(JSON.parse(secrets.get(A) ?? ''), login(A));
    assert.deepEqual(await store.load(A), login(A));
    await assert.rejects(stat(path.join(dir, 'credentials.json')), { code: 'ENOENT' });
    await store.remove(A);
    assert.equal(secrets.size, 0);
    assert.equal(await store.load(A), undefined);
  });

  test('a keychain that refuses access (AccessDenied) falls back to the 0600 file', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const { keychain } = memoryKeychain(['get', 'set', 'delete']);
    const store = await openTokenStore(dir, {}, { keychain });
    await store.save(login(A));
    assert.equal(store.kind, 'file', 'hoop login says where the tokens went');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await store.load(A), login(A));

    // A later command opens the store afresh and still finds the login.
    const again = await openTokenStore(dir, {}, { keychain });
    assert.deepEqual(await again.load(A), login(A));
    await again.remove(A);
    assert.equal(await again.load(A), undefined);
  });

  test('a keychain that reads but cannot write falls back on save, and is preferred again once it can', async () => {
    const dir = configDir();
    const file = path.join(dir, 'credentials.json');
    const locked = memoryKeychain(['set']);
    const store = await openTokenStore(dir, {}, { keychain: locked.keychain });
    await store.save(login(A, 'in-file'));
    assert.equal(store.kind, 'file');
    assert.equal((await store.load(A))?.accessToken, 'in-file');

    // Unlocked later: the new login goes to the keychain and the file's copy is dropped.
    const unlocked = memoryKeychain();
    const next = await openTokenStore(dir, {}, { keychain: unlocked.keychain });
    assert.equal((await next.load(A))?.accessToken, 'in-file');
    await next.save(login(A, 'in-keychain'));
    assert.equal(next.kind, 'keychain');
    assert.equal((await next.load(A))?.accessToken, 'in-keychain');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {});
  });

  test('on this machine, with no Secret Service, the file', async (t) => {
    if (process.platform !== 'linux' || process.env.DBUS_SESSION_BUS_ADDRESS) {
      t.skip('a keychain service may be running here');
      return;
    }
    // The probe only reads, so this never writes to a real keychain.
    const store = await openTokenStore(configDir(), {});
    assert.equal(store.kind, 'file');
  });
});
