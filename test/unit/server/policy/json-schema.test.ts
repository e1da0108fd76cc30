import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  POLICY_SCHEMA_FILE,
  policyJsonSchemaText,
} from '../../../../src/server/policy/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('the published JSON Schema of a policy file', () => {
  const committed = readFileSync(path.join(root, POLICY_SCHEMA_FILE), 'utf8');

  it('is what the zod schema generates (run `node --import tsx scripts/policy-schema.ts` when not)', () => {
    assert.deepEqual(JSON.parse(committed), JSON.parse(policyJsonSchemaText()));
  });

  it('is strict where the gateway is: unknown keys are errors for editors too', () => {
    const schema = JSON.parse(committed) as {
      $schema: string;
      $defs: Record<
        string,
        { properties?: Record<string, unknown>; additionalProperties?: unknown }
      >;
    };
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    const match = schema.$defs['match'];
    assert.equal(match?.additionalProperties, false);
    assert.deepEqual(Object.keys(match?.properties ?? {}), [
      'connections',
      'types',
      'groups',
      'users',
      'apiKeys',
      'agents',
      'actors',
      'delegated',
      'time',
      'statements',
      'tables',
      'functions',
      'commands',
    ]);
    assert.equal(schema.$defs['timeWindow']?.additionalProperties, false);
  });

  it('lets names match without case, as the gateway does', () => {
    const schema = JSON.parse(committed) as { $defs: { ruleName: { pattern: string } } };
    assert.ok(new RegExp(schema.$defs.ruleName.pattern).test('No-Drops'));
  });
});
