import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createCreditCardDetector,
  creditCard,
  DETECTORS,
  email,
  iban,
  ip,
  nationalId,
  phone,
  resolveDetectors,
  secrets,
} from '../../../../src/server/masking/detectors.js';
import type { Detector } from '../../../../src/server/masking/types.js';

/** The matched substrings of `text`. */
function found(detector: Detector, text: string): string[] {
  return detector.find(text).map((m) => text.slice(m.start, m.end));
}

/** Each positive is found whole, alone and inside a sentence; each negative is not found. */
function table(detector: Detector, positives: string[], negatives: string[]): void {
  for (const value of positives) {
    it(`finds ${JSON.stringify(value)}`, () => {
      assert.ok(detector.mightContain(value), 'pre-check must admit it');
      assert.deepEqual(found(detector, value), [value]);
      assert.deepEqual(found(detector, `see: ${value}, thanks`), [value]);
    });
  }
  for (const value of negatives) {
    it(`leaves ${JSON.stringify(value)}`, () => {
      assert.deepEqual(found(detector, value), []);
    });
  }
}

describe('email detector', () => {
  table(
    email,
    [
      'jane.doe@example.com',
      'a+tag@sub.example.co.uk',
      "o'brien@example.ie",
      'x_y-z@mail-host.io',
      '"john doe"@example.com', // quoted local part
      'jane@bücher.de', // IDN domain
      '用户@例子.广告', // internationalised address (RFC 6531)
      'user@example.xn--p1ai', // A-label TLD
      'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', // full-width
      'jane\u200b@example.com', // an invisible character inside
      'alice at example dot com',
      'ALICE AT EXAMPLE DOT COM',
      'alice [at] example [dot] com',
      'alice ( at ) example ( dot ) co ( dot ) uk',
      'alice(at)example.com',
      'alice{at}example{dot}com',
      'alice@example dot com',
    ],
    [
      'jane@localhost',
      '@example.com',
      'jane.@example.com',
      'jane@-example.com',
      'jane@example.c',
      'price 10@5.00',
      '""@example.com',
      'sign up at example.com', // a bare "at" needs a spelled-out dot
      'look at this dot',
      'alice at example dot c',
      'alice atexample dot com',
    ],
  );

  it('names spelled-out addresses', () => {
    assert.deepEqual(
      email.find('a@b.io and c at d dot io').map((m) => m.kind),
      [undefined, 'spelled'],
    );
  });

  it('finds several addresses and stops at sentence punctuation', () => {
    assert.deepEqual(found(email, 'to: a@x.io, b@y.org; cc <c@z.net>.'), [
      'a@x.io',
      'b@y.org',
      'c@z.net',
    ]);
  });

  it('rules itself out without an @ or the word at', () => {
    assert.equal(email.mightContain('nothing to see here.com'), false);
    assert.equal(email.mightContain('meet at noon'), true);
  });

  it('finds nothing in a long run of word characters before an @ (its time: npm run bench:linearity)', () => {
    assert.deepEqual(email.find('a'.repeat(200_000) + '@'), []);
  });
});

describe('credit card detector', () => {
  table(
    creditCard,
    [
      '4242424242424242', // Visa
      '4242 4242 4242 4242',
      '5555-5555-5555-4444', // Mastercard
      '2223003122003222', // Mastercard 2-series
      '378282246310005', // Amex, 15 digits
      '3782 822463 10005', // Amex printed 4-6-5
      '6011111111111117', // Discover
      '3530111333300000', // JCB
      '30569309025904', // Diners, 14 digits
      '6200000000000005', // UnionPay
      '4222222222222', // Visa, 13 digits
      '5018 0000 0009', // Maestro, 12 digits, grouped
      '4242-4242 4242-4242', // mixed separators between groups of 3+
      '4111-1111 1111.1111',
      '4111_1111_1111_1111',
      '4111/1111/1111/1111',
      '4111 - 1111 - 1111 - 1111', // gaps of up to three characters
      '41 11 11 11 11 11 11 11', // any group size with one kind of gap
      '4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
      '4 1 1 1 - 1 1 1 1 - 1 1 1 1 - 1 1 1 1', // single digits, two kinds of gap
      '５５５５ ５５５５ ５５５５ ４４４４', // full-width
      '٤١١١١١١١١١١١١١١١', // Arabic-Indic digits
      '4111\u00a01111\u2009\u20091111\u20131111', // Unicode spaces and dashes
      '4111\u200b1111\u200b1111\u200b1111', // invisible characters
    ],
    [
      '4242424242424241', // Luhn fails
      '4242 4242 4242 4241',
      '1234567812345670', // passes Luhn, no known issuer
      '424242424242', // 12 digits, not Maestro
      '501800000009', // 12 digits, plain: too common a length to take for a card
      '42424242424242424242', // 20 digits: some other number
      '994111111111111111199', // a card's digits inside a longer digit string
      'A4242424242424242',
      '4242424242424242x',
      '+4111111111111111', // a phone number or a signed quantity
      '4111    1111 1111 1111', // a gap of four
      '41 11-11 11-11 11 11 11', // mixed gaps between small groups
      '4111,1111,1111,1111', // a list of numbers
      '4111\n1111\n1111\n1111', // lines
      '25.10.1234.56788', // a version: `.` between small groups
      '4/15/2024/1234 5678', // `/` between small groups: dates
      '41111111-1111-1111-8123-123456789012', // a UUID of decimal digits
    ],
  );

  it('finds a card glued to punctuation, and only the card in a longer grouped run', () => {
    assert.deepEqual(found(creditCard, 'card:4111111111111111;'), ['4111111111111111']);
    assert.deepEqual(found(creditCard, '0 4111111111111111'), ['4111111111111111']);
    assert.deepEqual(found(creditCard, '1 2 3 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1'), []);
  });

  it('takes the card out of a longer grouped run', () => {
    assert.deepEqual(found(creditCard, 'ref 4242 4242 4242 4242 2031'), ['4242 4242 4242 4242']);
  });

  it('accepts any Luhn-valid number when issuer prefixes are not required', () => {
    const any = createCreditCardDetector({ knownIinOnly: false });
    assert.deepEqual(found(any, '1234567812345670'), ['1234567812345670']);
  });

  it('needs 13 digits before it looks', () => {
    assert.equal(creditCard.mightContain('call 555-2671 ext 12'), false);
  });
});

describe('phone detector', () => {
  table(
    phone,
    [
      '+1 (415) 555-2671',
      '+14155552671',
      '555 2671', // local, without the area code
      '+44 20 7946 0958',
      '+49 30 901820',
      '+33 6 12 34 56 78',
      '(415) 555-2671',
      '415-555-2671',
      '415.555.2671',
      '415 555 2671',
      '020 7946 0958',
      '06 12 34 56 78',
      '0151 23456789',
      '+44 (0)20 7946 0958',
      '+1-415-555-2671',
      '+4 4 2 0 7 9 4 6 0 9 5 8', // any grouping after +
      '0044 20 7946 0958',
      '1-415-555-2671',
      '1 (415) 555-2671',
      '415 555-2671',
      '4 1 5 - 5 5 5 - 2 6 7 1',
      '(020) 7946 0958',
      '030/901820',
      '555-2671', // local 7-digit
      '+４４ ２０ ７９４６ ０９５８', // full-width
      '415\u2011555\u20112671', // non-breaking hyphens
    ],
    [
      '20240115001234', // order number
      '4155552671', // a plain integer is never a phone
      '2024-01-15', // date
      '15.01.2024',
      '2024-01-15 10:30:00',
      '192.168.1.100', // IP address
      '10.0.0.1',
      '3.14159265', // decimal
      '0.5 0.25 0.125',
      '1 234 567 890', // amount with thousands separators
      '123-45-6789', // SSN shape
      '4242 4242 4242 4242', // card
      '2345 6789 0124', // Aadhaar shape
      '500-1000', // a range of round numbers
      '411-1234', // N11 exchange
      '01/15/2024 1234', // a date and a number
      '15.01.2024 12:00',
      '+0 123 456 789', // no country code 0
      '+1234567', // under 8 digits
      'v1.415.555.2671',
      'id=A415-555-2671',
      '415-555-2671-99',
      '2001:db8::1',
      '550e8400-e29b-41d4-a716-446655440000', // UUID
    ],
  );

  it('finds several numbers in free text', () => {
    assert.deepEqual(found(phone, 'home +44 20 7946 0958, cell (415) 555-2671; fax none'), [
      '+44 20 7946 0958',
      '(415) 555-2671',
    ]);
  });
});

describe('national id detector', () => {
  const kinds = (text: string) => nationalId.find(text).map((m) => m.kind);

  it('reads nine digits in any layout as an SSN after a keyword', () => {
    for (const [text, digits] of [
      ['SSN 536904381', '536904381'],
      ['ssn: 536 904 381', '536 904 381'],
      ['SS# 5369-04381', '5369-04381'],
      ['social security no. 536904381', '536904381'],
      ['Social_Security_Number=536.904.381', '536.904.381'],
    ] as const) {
      const found = nationalId.find(text);
      assert.deepEqual(
        found.map((m) => [text.slice(m.start, m.end), m.kind]),
        [[digits, 'ssn']],
        text,
      );
    }
  });

  table(
    nationalId,
    [
      '123-45-6789', // SSN
      '123 45 6789',
      'AB123456C', // NINO
      'AB 12 34 56 C',
      '529.982.247-25', // CPF
      '123.456.789-09',
      '12345678Z', // DNI
      '12345678-Z',
      'X1234567L', // NIE
      '2345 6789 0124', // Aadhaar
      '4999-1234-5674',
      '2345.6789 0124',
      '123-45 6789', // mixed gaps
      '123.45.6789',
      '123/45/6789',
      '123_45_6789',
      '123 - 45 - 6789',
      '1 2 3 - 4 5 - 6 7 8 9', // single digits: the more frequent gap joins them
      '１２３-４５-６７８９', // full-width
      '12-345-6789', // any grouping of three or more with one kind of gap
      '536-904-381',
      '536/904/381',
      '53 69 04 38 1',
      '5-3-6-9-0-4-3-8-1',
    ],
    [
      '000-12-3456', // SSN area 000
      '666-12-3456', // area 666
      '912-12-3456', // area 9xx
      '123-00-4567', // group 00
      '123-45-0000', // serial 0000
      '123456789', // plain: too ambiguous
      '123-45-67890',
      '1 2 3 4 5 6 7 8 9', // no 3-2-4 to read
      '123-45-6789-0000', // part of a longer number
      '536 904 381', // thousands grouping: a number, unless a keyword says otherwise
      '5369-04381', // two groups
      '12345-6789', // ZIP+4
      '536904381 items',
      'QQ123456C', // NINO: Q never a first letter
      'GB123456A', // NINO: unallocated prefix
      'AB123456E', // NINO: suffix beyond D
      '529.982.247-26', // CPF check digit
      '111.111.111-11', // CPF all equal
      '12345678A', // DNI wrong letter
      'X1234567A',
      '2345 6789 0125', // Aadhaar Verhoeff fails
      '1345 6789 0124', // Aadhaar never starts with 0 or 1
    ],
  );

  it('takes an SSN that stands apart from the digits around it', () => {
    assert.deepEqual(found(nationalId, 'SSN 123-45-6789 2024-01-15'), ['123-45-6789']);
  });

  it('names the kind of each ID', () => {
    assert.deepEqual(
      kinds('123-45-6789 AB123456C 529.982.247-25 12345678Z X1234567L 2345 6789 0124'),
      ['ssn', 'nino', 'cpf', 'dni', 'nie', 'aadhaar'],
    );
  });
});

describe('iban detector', () => {
  table(
    iban,
    [
      'GB82 WEST 1234 5698 7654 32',
      'GB82WEST12345698765432',
      'DE89370400440532013000',
      'DE89 3704 0044 0532 0130 00',
      'FR1420041010050500013M02606',
      'NL91ABNA0417164300',
      'ES9121000418450200051332',
      'BE68539007547034',
      'CH9300762011623852957',
      'IT60X0542811101000000123456',
      'NO9386011117947',
    ],
    [
      'GB82WEST12345698765433', // mod-97 fails
      'DE89370400440532013001',
      'GB82WEST1234569876543', // one short for GB
      'DE8937040044053201300012', // too long for DE
      'QQ82WEST12345698765432', // no such country
      'GB82 WEST 123 45698 765432', // broken grouping
      'gb82west12345698765432', // lower case
      'XGB82WEST12345698765432',
    ],
  );
});

describe('ip detector', () => {
  table(
    ip,
    [
      '10.0.0.1',
      '192.168.1.100',
      '255.255.255.255',
      '2001:db8::1',
      'fe80::1ff:fe23:4567:890a',
      '::ffff:192.0.2.1',
    ],
    [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '10:30:00',
      'std::max',
      '00:1a:2b:3c:4d:5e',
      'v1.2.3.4',
    ],
  );

  it('keeps a CIDR suffix, a port and sentence punctuation outside the address', () => {
    assert.deepEqual(found(ip, 'nets 10.0.0.0/8, db 10.1.2.3:5432 and [2001:db8::1]:443.'), [
      '10.0.0.0',
      '10.1.2.3',
      '2001:db8::1',
    ]);
    assert.deepEqual(
      ip.find('a 10.1.2.3 b ::1').map((m) => m.kind),
      ['ipv4', 'ipv6'],
    );
  });
});

describe('secrets detector', () => {
  const jwt =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  const pem = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
    '-----END OPENSSH PRIVATE KEY-----',
  ].join('\n');
  const kinds = (text: string) => secrets.find(text).map((m) => m.kind);

  table(
    secrets,
    [
      jwt,
      'AKIAIOSFODNN7EXAMPLE',
      'ASIAY34FZKBOKMUTVV7A',
      'ghp_' + 'a1B2'.repeat(9),
      'gho_' + 'Z'.repeat(36),
      'github_pat_11ABCDEFG0123456789abc_' + 'x'.repeat(59),
      'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
      'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc',
      'rk_live_' + 'abcdefghij0123456789',
      'AIzaSyD-' + 'a'.repeat(31),
      'hoop_' + 'Qx7_-'.repeat(8) + 'abc',
      pem,
    ],
    [
      'eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.sig', // header has no alg
      'eyJhbGciOiJIUzI1NiJ9', // one part only
      'AKIAIOSFODNN7EXAMPL', // 15 after the prefix
      'AKIAIOSFODNN7EXAMPLEX', // glued to more
      'ghp_short',
      'ghx_' + 'a'.repeat(36),
      'xoxz-1234567890-abc',
      'sk_test_' + '4eC39HqLyjWDarjtT1zdp7dc',
      'hoop_short',
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    ],
  );

  it('names the kind of each secret', () => {
    assert.deepEqual(
      kinds(`Authorization: Bearer ${jwt}\nkey=AKIAIOSFODNN7EXAMPLE token=ghp_${'a'.repeat(36)}`),
      ['jwt', 'aws_access_key', 'github_token'],
    );
  });

  it('masks a private key cut off before its END line to the end of the text', () => {
    const cut = pem.slice(0, 80);
    assert.deepEqual(secrets.find(cut), [{ start: 0, end: cut.length, kind: 'private_key' }]);
  });
});

describe('resolveDetectors', () => {
  it('returns the named detectors once each, in priority order', () => {
    const names = resolveDetectors(['phone', 'email', 'phone', 'secrets']).map((d) => d.name);
    assert.deepEqual(names, ['secrets', 'email', 'phone']);
  });

  it('refuses an unknown detector name with HOOP_CONFIG_INVALID', () => {
    assert.throws(() => resolveDetectors(['emails']), { code: 'HOOP_CONFIG_INVALID' });
  });

  it('has a detector for every policy name', () => {
    for (const [name, detector] of Object.entries(DETECTORS)) assert.equal(detector.name, name);
  });
});
