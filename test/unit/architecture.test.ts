import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/dependency-rules');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** dependency-cruiser with the repository's rules, on `dir`'s `src`; its violations. */
async function cruise(dir: string): Promise<Violation[]> {
  const run = promisify(execFile);
  const args = [DEPCRUISE, 'src', '--config', path.join(ROOT, '.dependency-cruiser.cjs')];
  const { stdout } = await run(process.execPath, [...args, '--output-type', 'json'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** The dependency rules `npm run check` enforces (.dependency-cruiser.cjs). */
describe('dependency rules', () => {
  it('hold for the repository', async () => {
    assert.deepEqual(await cruise(ROOT), []);
  });

  it('fail on each deliberately wrong import', async () => {
    const found = (await cruise(FIXTURE))
      .map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`)
      .sort();
    assert.deepEqual(found, [
      'cli-module-not-server-entries: src/cli/verify.ts → src/server/audit/recorder.ts',
      'cli-reaches-server-through-entries: src/cli/verify.ts → src/server/audit/recorder.ts',
      'enforcement-knows-no-protocol: src/server/audit/recorder.ts → src/server/protocols/postgres/relay.ts',
      'lib-imports-nothing-of-ours: src/lib/ids.ts → src/server/store/sessions.ts',
      'protocols-get-an-enforcer: src/server/protocols/postgres/relay.ts → src/server/policy/engine.ts',
      'store-owns-its-records: src/server/store/sessions.ts → src/server/policy/engine.ts',
    ]);
  });
});
