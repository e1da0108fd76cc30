/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it,
 * and the MD5 password hash. Pure: no I/O, the caller moves the messages.
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 *
 *   client-first  = "n,," "n=" user ",r=" c-nonce          (SASLInitialResponse)
 *   server-first  = "r=" c-nonce s-nonce ",s=" salt ",i=" iterations
 *   client-final  = "c=biws,r=" nonce ",p=" base64(ClientProof)   (SASLResponse)
 *   server-final  = "v=" base64(ServerSignature) | "e=" error
 *
 * No channel binding: the GS2 header is "n,," ("biws" in base64).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { PgProtocolError } from './errors.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
const GS2_HEADER = 'n,,';

export interface ScramOptions {
  password: string;
  /** PostgreSQL ignores it (the start-up user counts) and libpq sends it empty. */
  user?: string;
  /** Client nonce; random (18 bytes, base64) unless a test injects one. */
  nonce?: string;
  /** RFC 7677 §4 asks for at least 4096. */
  minIterations?: number;
  /** Bounds the PBKDF2 work a hostile or misconfigured server can ask of us. */
  maxIterations?: number;
}

export const DEFAULT_SCRAM_MIN_ITERATIONS = 4096;
export const DEFAULT_SCRAM_MAX_ITERATIONS = 1_000_000;

type State = 'initial' | 'awaitingServerFirst' | 'awaitingServerFinal' | 'done';

/**
 * Drives one SCRAM-SHA-256 exchange:
 * `clientFirstMessage()` → `clientFinalMessage(serverFirst)` → `verifyServerFinal(serverFinal)`.
 * Any step out of order, or any bad server message, throws PgProtocolError.
 */
export class ScramClient {
  private state: State = 'initial';
  private readonly password: string;
  private readonly user: string;
  private readonly nonce: string;
  private readonly minIterations: number;
  private readonly maxIterations: number;
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(options: ScramOptions) {
    this.password = options.password;
    this.user = options.user ?? '';
    this.nonce = options.nonce ?? randomBytes(18).toString('base64');
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(this.nonce)) {
      throw new PgProtocolError(
        'PG_SCRAM_STATE',
        'client nonce must be printable ASCII without commas',
      );
    }
    this.minIterations = options.minIterations ?? DEFAULT_SCRAM_MIN_ITERATIONS;
    this.maxIterations = options.maxIterations ?? DEFAULT_SCRAM_MAX_ITERATIONS;
  }

  /** The data of the SASLInitialResponse (mechanism SCRAM-SHA-256). */
  clientFirstMessage(): string {
    this.expect('initial');
    this.clientFirstBare = `n=${saslName(this.user)},r=${this.nonce}`;
    this.state = 'awaitingServerFirst';
    return GS2_HEADER + this.clientFirstBare;
  }

  /** Checks AuthenticationSASLContinue's data and returns the data of the SASLResponse. */
  clientFinalMessage(serverFirst: string | Uint8Array): string {
    this.expect('awaitingServerFirst');
    const text = asText(serverFirst);
    const attrs = parseAttributes(text);
    if (attrs.has('m')) throw bad('server-first-message has an unsupported extension (m=)');
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterationText = attrs.get('i');
    if (nonce === undefined || salt === undefined || iterationText === undefined) {
      throw bad('server-first-message lacks r=, s= or i=');
    }
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) {
      throw bad('server nonce does not extend the client nonce');
    }
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) throw bad('server nonce has invalid characters');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(salt) || salt.length % 4 !== 0) {
      throw bad('salt is not base64');
    }
    const saltBytes = Buffer.from(salt, 'base64');
    if (saltBytes.length === 0) throw bad('salt is empty');
    if (!/^[1-9][0-9]{0,9}$/.test(iterationText)) throw bad(`iteration count ${iterationText}`);
    const iterations = Number(iterationText);
    if (iterations < this.minIterations || iterations > this.maxIterations) {
      throw new PgProtocolError(
        'PG_SCRAM_ITERATIONS',
        `SCRAM iteration count ${iterations} outside ${this.minIterations}..${this.maxIterations}`,
      );
    }

    const saltedPassword = pbkdf2Sync(saslPrep(this.password), saltBytes, iterations, 32, 'sha256');
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${clientFinalWithoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    const serverKey = hmac(saltedPassword, 'Server Key');
    this.expectedServerSignature = hmac(serverKey, authMessage);
    this.state = 'awaitingServerFinal';
    return `${clientFinalWithoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks AuthenticationSASLFinal's data: the server must prove it knows the password. */
  verifyServerFinal(serverFinal: string | Uint8Array): void {
    this.expect('awaitingServerFinal');
    const attrs = parseAttributes(asText(serverFinal));
    const error = attrs.get('e');
    if (error !== undefined) {
      throw new PgProtocolError('PG_SCRAM_SERVER_ERROR', `SCRAM server error: ${error}`);
    }
    const v = attrs.get('v');
    if (v === undefined) throw bad('server-final-message lacks v=');
    const signature = Buffer.from(v, 'base64');
    const expected = this.expectedServerSignature!;
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new PgProtocolError('PG_SCRAM_BAD_SIGNATURE', 'SCRAM server signature does not match');
    }
    this.state = 'done';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  private expect(state: State): void {
    if (this.state !== state) {
      throw new PgProtocolError('PG_SCRAM_STATE', `SCRAM step out of order (in ${this.state})`);
    }
  }
}

/**
 * The PasswordMessage for AuthenticationMD5Password:
 * "md5" + hex(md5(hex(md5(password + user)) + salt)).
 */
export function md5Password(user: string, password: string, salt: Uint8Array): string {
  const inner = createHash('md5').update(password, 'utf8').update(user, 'utf8').digest('hex');
  return 'md5' + createHash('md5').update(inner, 'latin1').update(salt).digest('hex');
}

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function bad(message: string): PgProtocolError {
  return new PgProtocolError('PG_SCRAM_BAD_MESSAGE', message);
}

function asText(data: string | Uint8Array): string {
  return typeof data === 'string'
    ? data
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

/** "a=x,b=y" → Map; each attribute is one letter, '=', then a value. */
function parseAttributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of text.split(',')) {
    if (!/^[A-Za-z]=/.test(part))
      throw bad(`malformed SCRAM attribute ${JSON.stringify(part.slice(0, 20))}`);
    const key = part[0]!;
    if (attrs.has(key)) throw bad(`repeated SCRAM attribute ${key}`);
    attrs.set(key, part.slice(2));
  }
  return attrs;
}

/** RFC 5802 §5.1: ',' and '=' in a user name are escaped. */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

// RFC 3454 B.1: code points mapped to nothing (soft hyphen, joiners, variation selectors, BOM).
function mappedToNothing(cp: number): boolean {
  return (
    cp === 0xad ||
    cp === 0x34f ||
    cp === 0x1806 ||
    (cp >= 0x180b && cp <= 0x180d) ||
    (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  );
}
// RFC 3454 C.1.2: non-ASCII spaces, mapped to U+0020.
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g;
// Prohibited output (RFC 4013 §2.3), approximated: controls, private use, surrogates, non-characters.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const PROHIBITED = /[\u0000-\u001f\u007f-\u009f\ue000-\uf8ff\ufff9-\uffff]|[\ud800-\udfff]/;

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it: a password that cannot be
 * prepared is used as it is, which is also what the server does.
 */
function saslPrep(password: string): string {
  if (/^[\x20-\x7e]*$/.test(password)) return password;
  const prepared = password
    .split('')
    .filter((c) => !mappedToNothing(c.charCodeAt(0)))
    .join('')
    .replace(NON_ASCII_SPACE, ' ')
    .normalize('NFKC');
  return prepared === '' || PROHIBITED.test(prepared) ? password : prepared;
}
