import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildMaskPlan,
  compileMaskRules,
  maskCell,
  type MaskRule,
  type ResultColumn,
} from '../../../../src/server/masking/index.js';

const columns: ResultColumn[] = [
  { name: 'id', source: { schema: 'public', table: 'customers', column: 'id' }, text: false },
  { name: 'email', source: { schema: 'public', table: 'customers', column: 'email' } },
  { name: 'ssn', source: { schema: 'public', table: 'customers', column: 'ssn' } },
  { name: 'notes', source: { schema: 'public', table: 'customers', column: 'notes' } },
  {
    name: 'balance',
    source: { schema: 'public', table: 'customers', column: 'balance' },
    text: false,
  },
];

describe('buildMaskPlan', () => {
  it('masks selected columns and runs detectors on the rest', () => {
    const rules: MaskRule[] = [
      { name: 'pii', columns: ['customers.email', '*.ssn'], detectors: ['email', 'phone'] },
    ];
    const plan = buildMaskPlan(rules, columns);
    assert.deepEqual(
      plan.columns.map((c) => c.action),
      ['detect', 'mask', 'mask', 'detect', 'detect'],
    );
    assert.deepEqual(plan.columns[1]!.rules, ['pii']);
    assert.deepEqual(
      plan.detectors.map((d) => d.name),
      ['email', 'phone'],
    );
    assert.equal(plan.active, true);
  });

  it('passes everything and says so when no rule applies', () => {
    const plan = buildMaskPlan([{ columns: ['orders.*'] }], columns);
    assert.deepEqual(
      plan.columns.map((c) => c.action),
      ['pass', 'pass', 'pass', 'pass', 'pass'],
    );
    assert.equal(plan.active, false);
    assert.equal(buildMaskPlan([], columns).active, false);
  });

  it('accumulates masks across rules; hashing only when every masking rule allows it', () => {
    const plan = buildMaskPlan(
      [
        { name: 'a', columns: ['*.email', '*.ssn'], hashAllowed: true },
        { name: 'b', columns: ['*.ssn'] },
        { name: 'c', detectors: ['secrets'] },
      ],
      columns,
    );
    assert.deepEqual(plan.columns[1], { action: 'mask', hash: true, text: true, rules: ['a'] });
    assert.deepEqual(plan.columns[2], {
      action: 'mask',
      hash: false,
      text: true,
      rules: ['a', 'b'],
    });
    assert.equal(plan.columns[3]!.action, 'detect');
  });

  it('matches result columns without a source by name', () => {
    const plan = buildMaskPlan(
      [{ columns: ['customers.email'] }],
      [{ name: 'email' }, { name: 'upper' }],
    );
    assert.deepEqual(
      plan.columns.map((c) => c.action),
      ['mask', 'pass'],
    );
  });

  it('reuses compiled rules and refuses bad ones at compile time', () => {
    const compiled = compileMaskRules([{ columns: ['*.ssn'] }]);
    assert.equal(buildMaskPlan(compiled, columns).columns[2]!.action, 'mask');
    assert.throws(() => compileMaskRules([{ detectors: ['credit-card'] }]), {
      code: 'HOOP_CONFIG_INVALID',
    });
    assert.throws(() => compileMaskRules([{ columns: ['a..b'] }]), { code: 'HOOP_CONFIG_INVALID' });
  });
});

describe('maskCell', () => {
  const plan = buildMaskPlan(
    [
      { columns: ['*.ssn', '*.balance'] },
      { columns: ['*.email'], hashAllowed: true, detectors: ['email', 'credit_card'] },
    ],
    columns,
  );
  const cell = (index: number, value: string, key?: string) => {
    const out = maskCell(
      plan,
      index,
      Buffer.from(value),
      key === undefined ? {} : { hashKey: key },
    );
    return out === undefined || out === null ? out : out.toString();
  };

  it('redacts masked text columns and nulls masked columns of other types', () => {
    assert.equal(cell(2, '123-45-6789'), '1***');
    assert.equal(cell(4, '1024.50'), null);
  });

  it('hashes hash-allowed columns when the gateway supplies a key', () => {
    const hashed = cell(1, 'jane@example.com', 'secret');
    assert.match(hashed!, /^h:[0-9a-f]{16}$/);
    assert.equal(cell(1, 'jane@example.com', 'secret'), hashed);
    assert.equal(cell(1, 'jane@example.com'), 'j***');
  });

  it('runs detectors on detect columns: undefined when clean, NULL for non-text hits', () => {
    assert.equal(cell(3, 'call me maybe'), undefined);
    assert.equal(cell(3, 'mail jane@example.com'), 'mail j***@example.com');
    assert.equal(cell(0, '42'), undefined);
    assert.equal(cell(0, '4242424242424242'), null); // a card number stored in a bigint
  });

  it('forwards columns the plan does not know', () => {
    assert.equal(cell(99, 'jane@example.com'), undefined);
  });
});
