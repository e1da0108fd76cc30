#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
import { URL, fileURLToPath } from 'node:url';
import { Plugin, execute } from '@oclif/core';

// The commands as the TypeScript sources define them now, not as oclif.manifest.json
// recorded them at the last `npm run build`: the root plugin is loaded without it.
process.env.NODE_ENV = 'development';
const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({ root, isRoot: true, ignoreManifest: true });
await plugin.load();

await execute({
  development: true,
  loadOptions: { root, plugins: new Map([[plugin.name, plugin]]) },
});
