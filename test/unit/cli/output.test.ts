import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTable } from '../../../src/cli/output.js';

describe('formatTable', () => {
  it('upper-cases the header and aligns columns two spaces apart', () => {
    assert.equal(
      formatTable(
        ['name', 'type', 'local port'],
        [
          ['pg-prod', 'postgres', '5433'],
          ['echo', 'tcp', '8999'],
        ],
      ),
      ['NAME     TYPE      LOCAL PORT', 'pg-prod  postgres  5433', 'echo     tcp       8999'].join(
        '\n',
      ),
    );
  });

  it('widens a column to its longest cell, header included', () => {
    assert.equal(
      formatTable(['a', 'b'], [['a-very-long-name', 'x']]),
      'A                 B\na-very-long-name  x',
    );
  });

  it('leaves no trailing spaces, even for empty or missing last cells', () => {
    const table = formatTable(['name', 'database'], [['echo', ''], ['pg'], ['pg-prod', 'app']]);
    for (const line of table.split('\n')) assert.equal(line, line.trimEnd());
    assert.equal(table, 'NAME     DATABASE\necho\npg\npg-prod  app');
  });

  it('prints just the header for no rows', () => {
    assert.equal(formatTable(['name', 'type'], []), 'NAME  TYPE');
  });
});
