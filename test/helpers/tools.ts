import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The Debian package that installs each command-line tool the tests run. */
const PACKAGES: Record<string, string> = {
  psql: 'postgresql-client',
  pgbench: 'postgresql-contrib',
  curl: 'curl',
};

/**
 * The path of a tool the tests run, found on PATH; a missing one fails the
 * test with the package that installs it (README: nothing is skipped
 * silently), rather than with `spawn psql ENOENT`.
 */
export function tool(name: keyof typeof PACKAGES | string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  const pkg = PACKAGES[name];
  throw new Error(
    `${name} is not installed; this test runs it.` +
      (pkg ? ` Install it with: apt-get install -y ${pkg}` : ''),
  );
}
