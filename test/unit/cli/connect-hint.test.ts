import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectHint } from '../../../src/cli/connect-hint.js';

describe('connectHint', () => {
  it('gives each type’s usual client command line', () => {
    const at = (type: 'postgres' | 'mysql' | 'ssh' | 'http' | 'tcp', database?: string) =>
      connectHint(
        { name: 'c', type, localPort: 1, ...(database === undefined ? {} : { database }) },
        '127.0.0.1',
        5433,
      );
    assert.equal(at('postgres', 'app'), 'psql "postgres://127.0.0.1:5433/app"');
    assert.equal(at('postgres'), 'psql "postgres://127.0.0.1:5433/"');
    assert.equal(at('mysql', 'app'), 'mysql -h 127.0.0.1 -P 5433 --protocol=TCP app');
    assert.equal(at('mysql'), 'mysql -h 127.0.0.1 -P 5433 --protocol=TCP');
    assert.equal(at('ssh'), 'ssh -p 5433 127.0.0.1');
    assert.equal(at('http'), 'curl http://127.0.0.1:5433/');
    assert.equal(at('tcp'), 'nc 127.0.0.1 5433');
  });
});
