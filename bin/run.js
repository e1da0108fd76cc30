#!/usr/bin/env node
// `hoop exec` is what agents start once per query: when its arguments are plain it runs
// without loading oclif (src/cli/exec/fast-path.ts); everything else goes through oclif.
const fastPath =
  process.argv[2] === 'exec' &&
  (await import('../dist/cli/exec/fast-path.js')).runExecFastPath(process.argv.slice(2));

if (!(await fastPath)) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
