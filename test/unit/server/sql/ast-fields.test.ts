import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { BARE_FIELD_TYPES } from '../../../../src/server/sql/ast-fields.js';

/**
 * Re-derives the table of bare (unwrapped) node fields from the installed
 * `@pgsql/types`: every field whose declared type is a concrete node
 * interface rather than `Node`.
 */
function deriveFromTypes(): { table: Record<string, string>; fieldNames: string[] } {
  const require = createRequire(import.meta.url);
  const libpg = dirname(require.resolve('@libpg-query/parser/package.json'));
  const types = require.resolve('@pgsql/types/types.d.ts', { paths: [libpg] });
  const interfaces = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of readFileSync(types, 'utf8').split('\n')) {
    const start = /^export interface (\w+) \{/.exec(line);
    if (start) interfaces.set(start[1]!, (current = new Map()));
    else if (line.startsWith('}')) current = undefined;
    else {
      const field = /^\s+(\w+)\??: (\w+)(\[\])?;/.exec(line);
      if (field && current) current.set(field[1]!, field[2]!);
    }
  }
  const table: Record<string, string> = {};
  const fieldNames: string[] = [];
  for (const [name, fields] of interfaces) {
    for (const [field, type] of fields) {
      fieldNames.push(field);
      if (type !== 'Node' && interfaces.has(type)) table[`${name}.${field}`] = type;
    }
  }
  return { table, fieldNames };
}

describe('BARE_FIELD_TYPES', () => {
  const { table, fieldNames } = deriveFromTypes();

  it('matches the installed parser’s node types (regenerate from the message if not)', () => {
    assert.deepEqual(
      { ...BARE_FIELD_TYPES },
      table,
      `ast-fields.ts is stale; new table:\n${JSON.stringify(table, null, 2)}`,
    );
  });

  it('relies on no field name being capitalised (how the walker tells a wrapper from a struct)', () => {
    assert.deepEqual(
      fieldNames.filter((name) => /^[A-Z]/.test(name)),
      [],
    );
  });
});
