import type { DetectorName } from '../../../../src/server/masking/types.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const PEM = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

/** Values each detector finds whole (the positives of `detectors.test.ts`), for property tests. */
export const POSITIVES: Readonly<Record<DetectorName, readonly string[]>> = {
  email: [
    'jane.doe@example.com',
    'a+tag@sub.example.co.uk',
    "o'brien@example.ie",
    'x_y-z@mail-host.io',
    'a@x.io',
    'user123456@example.com',
  ],
  credit_card: [
    '4242424242424242',
    '4242 4242 4242 4242',
    '5555-5555-5555-4444',
    '2223003122003222',
    '378282246310005',
    '3782 822463 10005',
    '6011111111111117',
    '3530111333300000',
    '30569309025904',
    '6200000000000005',
    '4222222222222',
  ],
  phone: [
    '+1 (415) 555-2671',
    '+14155552671',
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
    '+1 415 555 0100',
  ],
  national_id: [
    '123-45-6789',
    '123 45 6789',
    'AB123456C',
    'AB 12 34 56 C',
    '529.982.247-25',
    '123.456.789-09',
    '12345678Z',
    '12345678-Z',
    'X1234567L',
    '2345 6789 0124',
    '4999-1234-5674',
  ],
  iban: [
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
  ip: [
    '10.0.0.1',
    '192.168.1.100',
    '255.255.255.255',
    '2001:db8::1',
    'fe80::1ff:fe23:4567:890a',
    '::ffff:192.0.2.1',
    '::1',
  ],
  secrets: [
    JWT,
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
    PEM,
  ],
};

/** A small seeded PRNG (mulberry32), so a failing random case can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Characters that make up detectable values, their separators, and some
 * non-ASCII: some that fold (`chars.ts`) to digits, separators, `@` or
 * nothing, some that do not.
 */
const ALPHABET =
  '0123456789 0123456789 abcxyzAZGBDE @.:-+()_/=\t\n,;éü€\u00a0漢４٣\u200b\u2013＠。';

/**
 * Random text around the samples: plain noise, a sample with noise on both
 * sides, or a sample with one character changed, so detectors see near misses
 * as well as hits.
 */
export function randomText(random: () => number): string {
  const noise = (max: number): string => {
    let s = '';
    const n = Math.floor(random() * max);
    for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
    return s;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const roll = random();
  if (roll < 0.3) return noise(40);
  let sample = pick(pick(Object.values(POSITIVES)));
  if (roll < 0.6) {
    const at = Math.floor(random() * sample.length);
    sample = sample.slice(0, at) + pick([...ALPHABET, '']) + sample.slice(at + 1);
  }
  return noise(8) + sample + noise(8);
}
