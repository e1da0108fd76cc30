import { z } from 'zod';

import { NAME_PATTERN } from '../config/schema.js';
import { CONNECTION_GLOB, policyFileSchema } from './schema.js';

/** Patterns that match without case (`/…/i`), which a JSON Schema pattern cannot flag. */
const CASELESS = new Set([NAME_PATTERN.source, CONNECTION_GLOB.source]);

/** Where the published schema lives, from the repository root. */
export const POLICY_SCHEMA_FILE = 'schema/policy.schema.json';

/**
 * The JSON Schema of a policy file, for editors (yaml-language-server
 * completes and checks with it). Generated from the zod schema the gateway
 * validates with, so the two cannot drift; what JSON Schema cannot say (a
 * known time zone, a CEL condition that compiles, unique rule names) is
 * checked by `hoop policy check` and the gateway only.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyFileSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.pattern === 'string' && CASELESS.has(jsonSchema.pattern)) {
        jsonSchema.pattern = jsonSchema.pattern.replaceAll('a-z', 'a-zA-Z');
      }
    },
  });
  return {
    $schema: generated['$schema'],
    title: 'hoop policy',
    description:
      'Rules the hoop gateway decides requests by: deny beats review beats allow; ' +
      'nothing allowed is denied; masks accumulate.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}

/** The schema as committed: two-space JSON and a final newline. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
