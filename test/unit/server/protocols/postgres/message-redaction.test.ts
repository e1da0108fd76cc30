import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HIDDEN_MESSAGE,
  hideVariableParts,
  maskNoticeFields,
  maskNotification,
  maskParameterValue,
  raisedByUser,
} from '../../../../../src/server/protocols/postgres/message-redaction.js';

const SSN = '536-90-4381';
const EMAIL = 'jane.quinlan@shadowmail.example';
const hide = { hide: true, scan: () => undefined };
const scanOnly = (replace: string, by: string) => ({
  hide: false,
  scan: (text: string) => (text.includes(replace) ? text.replaceAll(replace, by) : undefined),
});

/** Fields as PostgreSQL 15 sends them for a server error (numutils.c). */
const castError = {
  severity: 'ERROR',
  severityNonLocalized: 'ERROR',
  code: '22P02',
  message: `invalid input syntax for type integer: "${SSN}"`,
  file: 'numutils.c',
  line: '232',
  routine: 'pg_strtoint32',
};

describe('hideVariableParts', () => {
  it('keeps the fixed text of PostgreSQL messages and hides what varies', () => {
    const cases: [string, string][] = [
      [
        `invalid input syntax for type integer: "${SSN}"`,
        'invalid input syntax for type integer: "***"',
      ],
      [`relation "${SSN}" does not exist`, 'relation "***" does not exist'],
      [`Key (v)=(${SSN}) already exists.`, 'Key (***)=(***) already exists.'],
      [`Failing row contains (${SSN}, null).`, 'Failing row contains (***).'],
      [
        `Partition key of the failing row contains (v) = (${SSN}).`,
        'Partition key of the failing row contains (***) = (***).',
      ],
      [`line 1: Start tag expected, '<' not found`, 'line ***: ***'],
      [
        `requested character too large for encoding: 536904381`,
        'requested character too large for encoding: ***',
      ],
      [
        `invalid byte sequence for encoding "UTF8": 0xc3 0x28`,
        'invalid byte sequence for encoding "***": ***',
      ],
      ['division by zero', 'division by zero'],
      [`value ${EMAIL}`, 'value ***'],
      [
        'PL/pgSQL function adv_say(text) line 1 at RAISE',
        'PL/pgSQL function adv_say(***) line *** at RAISE',
      ],
    ];
    for (const [input, expected] of cases) assert.equal(hideVariableParts(input), expected, input);
  });

  it('an unclosed quote or parenthesis hides the rest of the line', () => {
    assert.equal(hideVariableParts(`bad "${SSN}`), 'bad "***"');
    assert.equal(hideVariableParts(`bad (${SSN}`), 'bad (***)');
  });

  it('never keeps a digit, whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), (text) => {
        assert.doesNotMatch(hideVariableParts(text), /[0-9]/);
      }),
    );
  });

  it('never keeps a value planted in quotes, parentheses or after a colon (property)', () => {
    const secret = fc.stringMatching(/^[a-z]{6,12}$/);
    const template = fc.constantFrom(
      (v: string) => `invalid input syntax for type uuid: "${v}"`,
      (v: string) => `Key (email)=(${v}) already exists.`,
      (v: string) => `relation "${v}" does not exist`,
      (v: string) => `JSON data, line 1: ${v}`,
      (v: string) => `unrecognized value: '${v}'`,
    );
    fc.assert(
      fc.property(secret, template, (value, make) => {
        assert.ok(!hideVariableParts(make(value)).includes(value));
      }),
    );
  });
});

describe('maskNoticeFields', () => {
  it('keeps SQLSTATE, severity and the server routine; hides the variable parts', () => {
    const out = maskNoticeFields(castError, hide)!;
    assert.equal(out.code, '22P02');
    assert.equal(out.severity, 'ERROR');
    assert.equal(out.routine, 'pg_strtoint32');
    assert.equal(out.message, 'invalid input syntax for type integer: "***"');
  });

  it('hides a RAISE message, detail and hint whole, keeping its SQLSTATE', () => {
    const raised = {
      severity: 'ERROR',
      code: 'P0001',
      message: `leak ${SSN.replaceAll('-', 'x')}`,
      detail: 'abcdef',
      hint: 'ghijkl',
      where: 'PL/pgSQL function inline_code_block line 1 at RAISE',
      file: 'pl_exec.c',
      line: '3889',
      routine: 'exec_stmt_raise',
    };
    assert.ok(raisedByUser(raised));
    const out = maskNoticeFields(raised, hide)!;
    assert.equal(out.message, HIDDEN_MESSAGE);
    assert.equal(out.detail, undefined);
    assert.equal(out.hint, undefined);
    assert.equal(out.code, 'P0001');
    assert.equal(out.where, 'PL/pgSQL function inline_code_block line *** at RAISE');
  });

  it('treats a message that names no routine as the user’s (fail closed)', () => {
    const out = maskNoticeFields({ severity: 'NOTICE', code: '00000', message: 'abcdef' }, hide)!;
    assert.equal(out.message, HIDDEN_MESSAGE);
  });

  it('hides the internal query whole and the lines an input echo adds', () => {
    const out = maskNoticeFields(
      {
        ...castError,
        detail: `line 1: Start tag expected\n${SSN.replaceAll('-', 'q')}\n^`,
        internalQuery: `select '${SSN}'::int`,
      },
      hide,
    )!;
    assert.equal(out.internalQuery, '***');
    assert.equal(out.detail, 'line ***: ***');
  });

  it('only runs the detectors when the message cannot carry a masked value', () => {
    const out = maskNoticeFields(
      { ...castError, message: `bad email ${EMAIL}` },
      scanOnly(EMAIL, 'j***@shadowmail.example'),
    )!;
    assert.equal(out.message, 'bad email j***@shadowmail.example');
    assert.equal(maskNoticeFields(castError, scanOnly('nothing', '')), undefined);
  });
});

describe('maskParameterValue and maskNotification', () => {
  it('reports protocol parameters as they are and hides free text that may hold a masked value', () => {
    assert.equal(maskParameterValue('client_encoding', 'UTF8', hide), undefined);
    assert.equal(maskParameterValue('TimeZone', 'UTC', hide), undefined);
    assert.equal(maskParameterValue('application_name', SSN, hide), '***');
    assert.equal(maskParameterValue('application_name', 'psql', scanOnly('x', 'y')), undefined);
  });

  it('hides every non-empty payload and the variable parts of the channel', () => {
    assert.deepEqual(maskNotification('adv', SSN, hide), { channel: 'adv', payload: '***' });
    assert.deepEqual(maskNotification(SSN, '', hide), { channel: '***-***-***', payload: '' });
    assert.equal(maskNotification('jobs', '', hide), undefined);
  });
});
