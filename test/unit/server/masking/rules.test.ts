import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseSelector,
  selectorMatches,
  type ColumnSource,
} from '../../../../src/server/masking/rules.js';

const src = (schema: string | undefined, table: string, column: string): ColumnSource =>
  schema === undefined ? { table, column } : { schema, table, column };

describe('column selectors', () => {
  const cases: Array<[string, ColumnSource | undefined, string, boolean]> = [
    // table.column matches the table in any schema
    ['customers.email', src('public', 'customers', 'email'), 'email', true],
    ['customers.email', src('crm', 'customers', 'email'), 'e', true],
    ['customers.email', src(undefined, 'customers', 'email'), 'email', true],
    ['customers.email', src('public', 'users', 'email'), 'email', false],
    ['customers.email', src('public', 'customers', 'phone'), 'phone', false],
    // case-insensitive like unquoted identifiers
    ['Customers.EMAIL', src('public', 'customers', 'email'), 'email', true],
    ['customers.email', src('public', 'CUSTOMERS', 'Email'), 'Email', true],
    // quoted parts compare exactly
    ['"Customers".email', src('public', 'Customers', 'email'), 'email', true],
    ['"Customers".email', src('public', 'customers', 'email'), 'email', false],
    ['"odd.name".email', src('public', 'odd.name', 'email'), 'email', true],
    // wildcards on either side
    ['*.ssn', src('hr', 'employees', 'ssn'), 'ssn', true],
    ['*.ssn', src('hr', 'employees', 'ssn_last4'), 'ssn_last4', false],
    ['*.card_number', src('public', 'payments', 'card_number'), 'card_number', true],
    ['customers.*', src('public', 'customers', 'anything'), 'anything', true],
    ['cust*.e*', src('public', 'customers_2024', 'email_work'), 'email_work', true],
    // schema-qualified selectors
    ['public.customers.email', src('public', 'customers', 'email'), 'email', true],
    ['public.customers.email', src('crm', 'customers', 'email'), 'email', false],
    ['public.customers.*', src('public', 'customers', 'ssn'), 'ssn', true],
    ['public.customers.email', src(undefined, 'customers', 'email'), 'email', true], // fail closed
    // column-name patterns
    ['*email*', src('public', 'users', 'work_email_address'), 'x', true],
    ['*email*', src('public', 'users', 'phone'), 'email', false], // the source column decides
    ['email', src('public', 'users', 'EMAIL'), 'EMAIL', true],
    // no known source: the result name against the column part (fail closed)
    ['customers.email', undefined, 'email', true],
    ['*email*', undefined, 'contact_email', true],
    ['customers.email', undefined, 'e', false],
    // regex metacharacters are literal
    ['a+b.c', src(undefined, 'a+b', 'c'), 'c', true],
    ['a+b.c', src(undefined, 'aab', 'c'), 'c', false],
  ];
  for (const [selector, source, name, expected] of cases) {
    const where = source
      ? [source.schema, source.table, source.column].filter(Boolean).join('.')
      : '?';
    it(`${selector} ${expected ? 'matches' : 'does not match'} ${where} (${name})`, () => {
      assert.equal(selectorMatches(parseSelector(selector), source, name), expected);
    });
  }

  it('refuses malformed selectors with HOOP_CONFIG_INVALID', () => {
    for (const bad of ['', 'a..b', '.a', 'a.', 'a.b.c.d', '"unterminated', '"a"b.c']) {
      assert.throws(() => parseSelector(bad), { code: 'HOOP_CONFIG_INVALID' }, bad);
    }
  });
});
