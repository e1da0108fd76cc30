import { createHash } from 'node:crypto';

/**
 * The personal data planted in the target, and the ways it could reach a
 * client in disguise. A leak check looks for every secret in every form
 * below in the raw bytes a client received: the value as stored, case-folded,
 * reversed, its digits alone (also with any one-to-three non-digit
 * separators between them, so `536x90x4381` counts), each of those in hex
 * and in base64 at every byte alignment, and its md5 and sha256 hashes.
 */

export interface PlantedCustomer {
  id: number;
  name: string;
  email: string;
  ssn: string;
  card: string;
  phone: string;
  notes: string;
}

/**
 * Card numbers are Luhn-valid test numbers; SSNs have the 3-2-4 shape;
 * emails and phones are what the email and phone detectors look for.
 * Digit runs are chosen not to look like counters (no 123456789), so that a
 * result of small integers cannot pass for one by chance.
 */
export const CUSTOMERS: readonly PlantedCustomer[] = [
  {
    id: 1,
    name: 'Jane Quinlan',
    email: 'jane.quinlan@shadowmail.example',
    ssn: '536-90-4381',
    card: '4111 1111 1111 1111',
    phone: '+1 415 555 2671',
    notes: 'call her at (415) 555-2671 after six',
  },
  {
    id: 2,
    name: 'Omar Vasquez',
    email: 'omar.vasquez@corpmail.example',
    ssn: '671-23-9054',
    card: '5555 5555 5555 4444',
    phone: '+44 20 7946 0958',
    notes: 'prefers letters',
  },
  {
    id: 3,
    name: 'Wei Lindqvist',
    email: 'wei.lindqvist@northpost.example',
    ssn: '412-77-0396',
    card: '4012888888881881',
    phone: '(212) 555-0147',
    notes: 'no notes',
  },
];

export interface Secret {
  /** `ssn of customer 1`, for messages. */
  label: string;
  value: string;
  /** The digits a number-like secret is recognised by (national part of a phone). */
  digits?: string;
}

/** Every planted secret: emails, SSNs, card numbers and phone numbers of every customer. */
export const SECRETS: readonly Secret[] = CUSTOMERS.flatMap((c) => [
  { label: `email of customer ${c.id}`, value: c.email },
  { label: `ssn of customer ${c.id}`, value: c.ssn, digits: c.ssn.replace(/\D/g, '') },
  { label: `card number of customer ${c.id}`, value: c.card, digits: c.card.replace(/\D/g, '') },
  {
    label: `phone of customer ${c.id}`,
    value: c.phone,
    // The national number: what the notes and any reformatting keep.
    digits: c.phone.replace(/\D/g, '').slice(-10),
  },
]);

/** A secret found in received bytes: which, in what form, where. */
export interface Leak {
  secret: Secret;
  form: string;
  offset: number;
  context: string;
}

interface Form {
  name: string;
  /** Lower-cased needle searched in the lower-cased latin1 text of the bytes, or a regex. */
  needle: string | RegExp;
  caseSensitive?: boolean;
}

const reverse = (s: string): string => [...s].reverse().join('');
const digest = (algorithm: string, s: string): string =>
  createHash(algorithm).update(s, 'utf8').digest('hex');
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

/**
 * The interior of base64(filler + value) for each alignment: the characters
 * that depend on the value's bytes alone, so a value inside longer text is
 * found wherever it starts.
 */
function base64Interiors(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x41), bytes]).toString('base64');
    const inner = encoded.slice(pad === 0 ? 0 : 4, encoded.length - 4);
    if (inner.length >= 8) out.push(inner);
  }
  return out;
}

/** Digits with up to three non-digit characters between each: `536-90-4381`, `5 3 6…`, `536x90x4381`. */
function separatedDigits(digits: string): RegExp {
  return new RegExp(digits.split('').join('[^0-9]{0,3}'));
}

function formsOf(secret: Secret): Form[] {
  const texts: [string, string][] = [
    ['as stored', secret.value],
    ['reversed', reverse(secret.value)],
  ];
  if (secret.digits) {
    texts.push(['digits only', secret.digits], ['digits reversed', reverse(secret.digits)]);
  }
  const forms: Form[] = [];
  for (const [name, text] of texts) {
    forms.push({ name: `${name} (any case)`, needle: text.toLowerCase() });
    for (const variant of new Set([text, text.toLowerCase(), text.toUpperCase()])) {
      forms.push({ name: `${name} in hex`, needle: hex(variant) });
      for (const interior of base64Interiors(variant)) {
        forms.push({ name: `${name} in base64`, needle: interior, caseSensitive: true });
      }
    }
  }
  // An unkeyed hash of a value this small is as good as the value (a dictionary recovers it).
  for (const text of new Set([
    secret.value,
    secret.value.toLowerCase(),
    secret.digits ?? secret.value,
  ])) {
    forms.push({ name: 'md5 hash', needle: digest('md5', text) });
    forms.push({ name: 'sha256 hash', needle: digest('sha256', text) });
  }
  if (secret.digits) {
    forms.push({ name: 'digits with separators', needle: separatedDigits(secret.digits) });
    forms.push({
      name: 'digits reversed with separators',
      needle: separatedDigits(reverse(secret.digits)),
    });
  }
  return forms;
}

const FORMS = new Map(SECRETS.map((secret) => [secret, formsOf(secret)]));

/** Every secret, in every form, found in `bytes` (the first place each form occurs). */
export function findLeaks(bytes: Buffer, secrets: readonly Secret[] = SECRETS): Leak[] {
  const text = bytes.toString('latin1');
  const lower = text.toLowerCase();
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    for (const form of FORMS.get(secret) ?? formsOf(secret)) {
      let offset: number;
      if (form.needle instanceof RegExp) {
        offset = lower.search(form.needle);
      } else {
        offset = form.caseSensitive ? text.indexOf(form.needle) : lower.indexOf(form.needle);
      }
      if (offset === -1) continue;
      leaks.push({
        secret,
        form: form.name,
        offset,
        context: JSON.stringify(text.slice(Math.max(0, offset - 24), offset + 48)),
      });
      break;
    }
  }
  return leaks;
}

/** A secret matched by a value an attack decoded from what it received (its own decoder). */
export function matchSecret(candidate: string): Secret | undefined {
  const folded = candidate.trim().toLowerCase();
  if (folded.length < 6) return undefined;
  const digits = candidate.replace(/\D/g, '');
  return SECRETS.find(
    (secret) =>
      folded === secret.value.toLowerCase() ||
      folded.includes(secret.value.toLowerCase()) ||
      (secret.digits !== undefined && digits.length >= 9 && digits.includes(secret.digits)),
  );
}

/** One line per leak, for an assertion message. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks
    .map(
      (leak) =>
        `${leak.secret.label} (${leak.secret.value}) ${leak.form} at byte ${leak.offset}: ${leak.context}`,
    )
    .join('\n');
}
