import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { classifySql, initSqlParser } from '../../../../src/server/sql/index.js';
import type { CopyOut } from '../../../../src/server/sql/types.js';

before(() => initSqlParser());

function copyOf(sql: string): CopyOut | undefined {
  const result = classifySql(sql);
  assert.ok(result.ok);
  return result.statements[0]?.copy?.out;
}

describe('COPY TO STDOUT options and source', () => {
  it('describes a table, all columns or the listed ones, quoted', () => {
    assert.deepEqual(copyOf('copy customers to stdout'), {
      format: 'text',
      header: false,
      describe: 'select * from "customers"',
    });
    assert.deepEqual(copyOf('COPY public."Customers" (email, "Name") TO STDOUT WITH BINARY'), {
      format: 'binary',
      header: false,
      describe: 'select "email", "Name" from "public"."Customers"',
    });
  });

  it('reads the options in both syntaxes', () => {
    assert.deepEqual(
      copyOf(
        "copy t to stdout with (format csv, header, delimiter '|', null 'x', quote '''', escape '\\', force_quote *)",
      ),
      {
        format: 'csv',
        header: true,
        delimiter: '|',
        null: 'x',
        quote: "'",
        escape: '\\',
        describe: 'select * from "t"',
      },
    );
    assert.equal(copyOf("copy t to stdout csv header delimiter ';'")?.delimiter, ';');
    assert.equal(copyOf('copy t to stdout (header 0)')?.header, false);
    assert.equal(copyOf('copy t to stdout (header off)')?.header, false);
    assert.equal(copyOf('copy t to stdout (header true)')?.header, true);
  });

  it('takes the inner query text, past comments, strings and nested parentheses', () => {
    const inner = "select email, 'a)(' as x, (1) from /* ) */ customers where name <> $$)$$";
    assert.equal(copyOf(`copy /* ( */ (${inner}) to stdout with (format csv)`)?.describe, inner);
    assert.equal(copyOf('copy ((select 1)) to stdout')?.describe, '(select 1)');
  });

  it('marks what it cannot follow', () => {
    assert.equal(copyOf("copy t to stdout (encoding 'latin1')")?.unsupported, 'encoding');
    const fromFile = classifySql("copy t to '/tmp/x'");
    assert.ok(fromFile.ok);
    assert.equal(fromFile.statements[0]?.copy?.out, undefined, 'a server file is not STDOUT');
    const copyIn = classifySql('copy t from stdin');
    assert.ok(copyIn.ok);
    assert.equal(copyIn.statements[0]?.copy?.out, undefined);
  });
});
