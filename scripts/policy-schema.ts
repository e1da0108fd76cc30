// Writes schema/policy.schema.json, the JSON Schema of a policy file, from the zod schema the
// gateway validates with. Run after changing src/server/policy/schema.ts:
//   node --import tsx scripts/policy-schema.ts
// A unit test (test/unit/server/policy/json-schema.test.ts) fails while the file is stale.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { format, resolveConfig } from 'prettier';

import { POLICY_SCHEMA_FILE, policyJsonSchemaText } from '../src/server/policy/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, POLICY_SCHEMA_FILE);
await mkdir(path.dirname(file), { recursive: true });
const options = (await resolveConfig(file)) ?? {};
await writeFile(file, await format(policyJsonSchemaText(), { ...options, filepath: file }));
console.log(`${path.relative(process.cwd(), file)} written`);
