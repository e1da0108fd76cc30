import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAG_NAMES, parseExecArgv } from '../../../src/cli/exec/argv.js';
import Exec from '../../../src/commands/exec.js';

describe('parseExecArgv (the fast path of `hoop exec`)', () => {
  it('reads a name and the flags in the spellings oclif reads the same way', () => {
    assert.deepEqual(parseExecArgv(['exec', 'pg', '-i', 'select 1']), {
      name: 'pg',
      input: 'select 1',
      file: undefined,
      output: 'table',
      gateway: undefined,
    });
    assert.deepEqual(
      parseExecArgv([
        'exec',
        '--output=json',
        '--file',
        'q.sql',
        'pg',
        '--gateway',
        'http://gw:8009',
      ]),
      { name: 'pg', input: undefined, file: 'q.sql', output: 'json', gateway: 'http://gw:8009' },
    );
    assert.deepEqual(parseExecArgv(['exec', 'pg', '-f', '-', '-o', 'csv']), {
      name: 'pg',
      input: undefined,
      file: '-',
      output: 'csv',
      gateway: undefined,
    });
    assert.equal(parseExecArgv(['exec', 'pg'])?.output, 'table');
    assert.equal(parseExecArgv(['exec', 'pg', '--wait', '-i', 'select 1'])?.wait, true);
    assert.equal(parseExecArgv(['exec', 'pg', '--review', 'rev_1', '-i', 'x'])?.review, 'rev_1');
    assert.equal(parseExecArgv(['exec', 'pg', '--json', '-i', 'select 1'])?.output, 'json');
    assert.equal(parseExecArgv(['exec', 'pg', '--json', '-o', 'json', '-i', 'x'])?.output, 'json');
  });

  it('leaves to oclif whatever it would refuse, explain or read another way', () => {
    const declined = [
      ['connect', 'pg'],
      ['exec'],
      ['exec', '--help'],
      ['exec', 'pg', '--help'],
      ['exec', 'pg', '-h'],
      ['exec', 'pg', 'other'],
      ['exec', ''],
      ['exec', '-'],
      ['exec', 'pg', '-i'],
      ['exec', 'pg', '-i', ''],
      ['exec', 'pg', '--input='],
      ['exec', 'pg', '-i', '-f'],
      ['exec', 'pg', '-i', '-- a comment first'],
      ['exec', 'pg', '-i', 'select 1', '-f', 'q.sql'],
      ['exec', 'pg', '-i', 'select 1', '--input', 'select 2'],
      ['exec', 'pg', '-o', 'yaml'],
      ['exec', 'pg', '-ojson'],
      ['exec', 'pg', '-o=json'],
      ['exec', 'pg', '--', '-i'],
      ['exec', 'pg', '--wait=true'],
      ['exec', 'pg', '--json=true'],
      ['exec', 'pg', '--json', '-o', 'csv'],
      ['exec', 'pg', '--json', '--json'],
      ['exec', 'pg', '--wait', '--review', 'rev_1'],
      ['exec', 'pg', '--review'],
      ['exec', 'pg', '--gateway'],
    ];
    for (const argv of declined) assert.equal(parseExecArgv(argv), undefined, argv.join(' '));
  });

  it('knows every flag of the oclif command, so no flag is ever dropped', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(Exec.flags).map(([name, flag]) => [name, flag.char])),
      FLAG_NAMES,
    );
    assert.deepEqual(Object.keys(Exec.args), ['name']);
  });
});
