import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  redactCard,
  redactColumn,
  redactEmail,
  redactHash,
  redactIban,
  redactIp,
  redactNationalId,
  redactPhone,
  redactSecret,
  redactText,
  redactUtf8Text,
} from '../../../../src/server/masking/redact.js';

describe('format-keeping redactions', () => {
  const cases: Array<[string, (value: string) => string, string, string]> = [
    ['email', redactEmail, 'jane.doe@example.com', 'j***@example.com'],
    ['card, dashes', redactCard, '4242-4242-4242-4242', '****-****-****-4242'],
    ['card, spaces', redactCard, '4242 4242 4242 4242', '**** **** **** 4242'],
    ['card, plain', redactCard, '378282246310005', '***********0005'],
    ['phone', redactPhone, '+1 (415) 555-2671', '+* (***) ***-**71'],
    ['phone, national', redactPhone, '020 7946 0958', '*** **** **58'],
    ['ssn', (v) => redactNationalId(v, 'ssn'), '123-45-6789', '***-**-6789'],
    ['aadhaar', (v) => redactNationalId(v, 'aadhaar'), '2345 6789 0124', '**** **** 0124'],
    ['nino', (v) => redactNationalId(v, 'nino'), 'AB123456C', '*******6C'],
    ['cpf', (v) => redactNationalId(v, 'cpf'), '529.982.247-25', '***.***.***-25'],
    ['iban', redactIban, 'GB82 WEST 1234 5698 7654 32', 'GB** **** **** **** **54 32'],
    ['iban, compact', redactIban, 'DE89370400440532013000', 'DE****************3000'],
    ['ipv4', redactIp, '192.168.1.100', '192.x.x.x'],
    ['ipv6', (v) => redactIp(v, 'ipv6'), '2001:db8::1', '2001:x:x:x:x:x:x:x'],
    ['jwt', (v) => redactSecret(v, 'jwt'), 'eyJ…', '[REDACTED:jwt]'],
  ];
  for (const [what, redact, input, output] of cases) {
    it(`${what}: ${input} → ${output}`, () => assert.equal(redact(input), output));
  }

  it('hides digits and letters of any script, as the detectors read them', () => {
    assert.equal(redactCard('４２４２ ４２４２ ４２４２ ４２４２'), '**** **** **** ４２４２');
    assert.equal(redactCard('٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢'), '************٤٢٤٢');
    assert.equal(redactCard('𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐'), '************𝟒𝟐𝟒𝟐');
    assert.equal(redactPhone('+４４ ２０ ７９４６ ０９５８'), '+** ** **** **５８');
    assert.equal(redactNationalId('ＡＢ１２３４５６Ｃ', 'nino'), '*******６Ｃ');
    assert.equal(redactEmail('jane＠example．com'), 'j***＠example．com');
    assert.equal(redactIp('１０．１．２．３', 'ipv4'), '１０.x.x.x');
  });

  it('redacts a spelled-out address up to its at', () => {
    assert.equal(redactEmail('alice at example dot com', 'spelled'), 'a*** at example dot com');
    assert.equal(redactEmail('a{at}b [at] example.com', 'spelled'), 'a*** [at] example.com');
  });

  it('keeps the length of layout-keeping redactions, so varchar(n) still fits', () => {
    for (const [, redact, input] of cases.slice(1, 12))
      assert.equal(redact(input).length, input.length);
  });
});

describe('redactText', () => {
  it('keeps the first character of values of six characters or more', () => {
    assert.equal(redactText('Jane Doe'), 'J***');
    assert.equal(redactText('Zoë Müller'), 'Z***');
    assert.equal(redactText('😀 emoji first'), '😀***');
  });

  it('shows nothing of short values, counting code points', () => {
    assert.equal(redactText('Bob'), '****');
    assert.equal(redactText('12345'), '****');
    assert.equal(redactText('😀😀😀😀😀'), '****');
  });

  it('leaves the empty string empty: it is not NULL and hides nothing', () => {
    assert.equal(redactText(''), '');
  });
});

describe('redactColumn', () => {
  it('redacts text columns and turns any other type into NULL', () => {
    assert.equal(redactColumn('secret value', true), 's***');
    assert.equal(redactColumn('42', false), null);
  });
});

describe('redactHash', () => {
  it('is deterministic per key and differs across keys', () => {
    const a = redactHash('jane@example.com', 'k1');
    assert.match(a, /^h:[0-9a-f]{16}$/);
    assert.equal(redactHash('jane@example.com', 'k1'), a);
    assert.equal(redactHash(Buffer.from('jane@example.com'), 'k1'), a);
    assert.notEqual(redactHash('jane@example.com', 'k2'), a);
    assert.notEqual(redactHash('john@example.com', 'k1'), a);
  });
});

describe('redactUtf8Text', () => {
  it('agrees with redactText without decoding', () => {
    for (const value of [
      'Jane Doe',
      'Zoë Müller',
      '😀 emoji first',
      'Bob',
      '😀😀😀😀😀',
      'ééééé',
      'éééééé',
    ]) {
      assert.equal(redactUtf8Text(Buffer.from(value))?.toString(), redactText(value), value);
    }
    assert.equal(redactUtf8Text(Buffer.alloc(0)), undefined);
  });
});
