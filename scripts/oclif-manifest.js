// Writes oclif.manifest.json: every command's id, flags, args and help text, taken from the
// built commands in dist/. With it oclif loads only the command being run (`hoop --version`
// and `hoop exec --help` load none); without it oclif imports every command module at each
// start to learn what they are. `npm run build` runs this after tsc, so the manifest always
// matches dist; bin/dev.js ignores it and reads the TypeScript sources. `--clean` only
// removes it: the build does that before tsc, so that a failed tsc (which still emits what it
// can) leaves no manifest describing older commands, and oclif falls back to reading dist.
//
// Plain JavaScript because it runs as part of the build. Does what `oclif manifest` does,
// without the oclif CLI package and its dependencies.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'oclif.manifest.json');
if (process.argv.includes('--clean')) {
  await rm(file, { force: true });
  process.exit(0);
}
const plugin = new Plugin({
  root,
  isRoot: true,
  type: 'core',
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
await writeFile(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(
  `${path.relative(process.cwd(), file)}: ${Object.keys(plugin.manifest.commands).length} commands`,
);
