import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HoopError } from '../../lib/errors.js';
import {
  LOCAL_NAMES,
  issueLocalCa,
  issueServerCertificate,
  type IssuedCertificate,
} from './certificates.js';

/** What `hoop connect` serves local TLS with. */
export interface LocalTls {
  /** The CA certificate's file: what clients name in `sslrootcert` for verify-full. */
  caFile: string;
  /** The server certificate (PEM), then its private key (PEM). */
  cert: string;
  key: string;
  /** Whether the CA was made just now (a first run). */
  created: boolean;
}

/** Renew the server certificate when this little of its life is left. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/*
 * Files in `$HOOP_CONFIG_DIR/tls` (mode 0700):
 *   ca.pem              the CA certificate, for sslrootcert (0644)
 *   ca-key.pem          the CA's key, then its certificate (0600): the CA's source of truth
 *   localhost-key.pem   the server certificate's key, then the certificate (0600)
 * Key and certificate share a file so that each is written in one step: two
 * `hoop connect` starting at once never pair a key with the other's certificate.
 */
const CA_KEY = 'ca-key.pem';
const CA_CERT = 'ca.pem';
const SERVER = 'localhost-key.pem';

/**
 * The local CA and server certificate under `configDir/tls`, made on first
 * use, reused after (so `sslrootcert` keeps working), the server one renewed
 * when it nears its end or no longer matches the CA.
 *
 * @throws HoopError `HOOP_LOCAL_TLS_UNAVAILABLE` when the files cannot be
 *   written or read, or a key file is readable by others.
 */
export async function localTls(configDir: string, now = new Date()): Promise<LocalTls> {
  const dir = path.join(configDir, 'tls');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { ca, created } = await loadOrCreateCa(dir, now);
    const caFile = path.join(dir, CA_CERT);
    // The copy for sslrootcert: rewritten when missing or stale (the CA was renewed).
    if ((await readIfExists(caFile)) !== ca.cert) await writeAtomically(caFile, ca.cert, 0o644);
    const server = await loadOrCreateServer(dir, ca, now);
    return { caFile, cert: server.cert, key: server.key, created };
  } catch (error) {
    if (error instanceof HoopError) throw error;
    throw new HoopError(
      'HOOP_LOCAL_TLS_UNAVAILABLE',
      `cannot keep the local TLS certificate in ${dir}: ${(error as Error).message}`,
      { hint: 'Check that the directory is yours and writable, or pass --no-tls.', cause: error },
    );
  }
}

async function loadOrCreateCa(
  dir: string,
  now: Date,
): Promise<{ ca: IssuedCertificate; created: boolean }> {
  const file = path.join(dir, CA_KEY);
  const existing = await readKeyFile(file);
  if (existing) {
    const ca = split(existing, file);
    if (usable(ca, now, 0)) return { ca, created: false };
  }
  const ca = await issueLocalCa(now);
  const text = `${ca.key}${ca.cert}`;
  if (existing) {
    // Expired or damaged: replace it (clients must trust the new ca.pem).
    await writeAtomically(file, text, 0o600);
    return { ca, created: true };
  }
  // First use: create the file only if no other `hoop connect` did meanwhile (link fails on EEXIST).
  const temp = await writeTemp(file, text, 0o600);
  try {
    await link(temp, file);
    return { ca, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readKeyFile(file);
    return { ca: split(theirs ?? '', file), created: false };
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function loadOrCreateServer(
  dir: string,
  ca: IssuedCertificate,
  now: Date,
): Promise<IssuedCertificate> {
  const file = path.join(dir, SERVER);
  const existing = await readKeyFile(file);
  if (existing) {
    const server = split(existing, file);
    if (usable(server, now, RENEW_BEFORE_MS) && signedBy(server, ca) && coversLocalNames(server)) {
      return server;
    }
  }
  const server = await issueServerCertificate(ca, now);
  await writeAtomically(file, `${server.key}${server.cert}`, 0o600);
  return server;
}

/** A key file's text; undefined when there is none. Refused when others may read it. */
async function readKeyFile(file: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (mode & 0o077) {
    throw new HoopError(
      'HOOP_LOCAL_TLS_UNAVAILABLE',
      `${file} is readable by other users (mode ${(mode & 0o777).toString(8)})`,
      {
        hint: `Run \`chmod 600 ${file}\`, or delete ${path.dirname(file)} to make a new CA (clients must then trust the new ca.pem).`,
      },
    );
  }
  return readFile(file, 'utf8');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A key file's PEM private key and certificate. */
function split(text: string, file: string): IssuedCertificate {
  const key = /-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----/.exec(text)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(text)?.[0];
  if (key === undefined || cert === undefined) {
    throw new HoopError(
      'HOOP_LOCAL_TLS_UNAVAILABLE',
      `${file} does not hold a private key and a certificate`,
      {
        hint: `Delete ${path.dirname(file)} to make new ones (clients must then trust the new ca.pem).`,
      },
    );
  }
  return { key: `${key}\n`, cert: `${cert}\n` };
}

/** Valid now and for `marginMs` more, and the key is the certificate's. */
function usable(pair: IssuedCertificate, now: Date, marginMs: number): boolean {
  try {
    const cert = new X509Certificate(pair.cert);
    return (
      Date.parse(cert.validFrom) <= now.getTime() &&
      Date.parse(cert.validTo) > now.getTime() + marginMs &&
      cert.checkPrivateKey(createPrivateKey(pair.key))
    );
  } catch {
    return false;
  }
}

function signedBy(server: IssuedCertificate, ca: IssuedCertificate): boolean {
  try {
    const caCert = new X509Certificate(ca.cert);
    const cert = new X509Certificate(server.cert);
    return cert.checkIssued(caCert) && cert.verify(caCert.publicKey);
  } catch {
    return false;
  }
}

function coversLocalNames(server: IssuedCertificate): boolean {
  const cert = new X509Certificate(server.cert);
  return (
    LOCAL_NAMES.dns.every((name) => cert.checkHost(name) !== undefined) &&
    LOCAL_NAMES.ip.every((ip) => cert.checkIP(ip) !== undefined)
  );
}

/** Writes `text` to a new temporary file beside `file`, with `mode` from its creation. */
async function writeTemp(file: string, text: string, mode: number): Promise<string> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text, { mode, flag: 'wx' });
  await chmod(temp, mode);
  return temp;
}

/** Replaces `file` whole (write, then rename): a reader sees the old text or the new, never half. */
async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temp = await writeTemp(file, text, mode);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
