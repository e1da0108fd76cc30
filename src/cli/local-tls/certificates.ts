import { createPrivateKey, randomBytes, webcrypto, KeyObject } from 'node:crypto';
import os from 'node:os';

/*
 * The certificates `hoop connect` serves local TLS with: a CA of its own and
 * a server certificate for 127.0.0.1, ::1 and localhost signed by it. Node
 * verifies and serves X.509 but cannot issue it, so issuing goes through
 * @peculiar/x509 (pure TypeScript over WebCrypto: keys and signatures are
 * Node's own crypto); it needs a Reflect metadata polyfill, loaded here only,
 * since certificates are made once and then read from disk.
 */

/** A certificate and its private key, both PEM. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

/** The names the server certificate is for, and the only ones the CA may sign (RFC 5280 §4.2.1.10). */
export const LOCAL_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Long: people point `sslrootcert` at the CA once. */
export const CA_DAYS = 3650;
/** Short: renewed silently when 30 days or fewer are left. */
export const SERVER_DAYS = 397;

async function library() {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  // Node's WebCrypto, under the DOM type the library names (this project compiles without DOM types).
  x509.cryptoProvider.set(webcrypto as never);
  return x509;
}

/** A positive serial number of 16 random bytes (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function pkcs8(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * A new CA: ECDSA P-256, may sign end-entity certificates only (path length
 * 0), and, through a critical name constraint, only for localhost,
 * 127.0.0.0/8 and ::1: its key, were it ever taken, could not vouch for any
 * other server.
 */
export async function issueLocalCa(now = new Date()): Promise<IssuedCertificate> {
  const x509 = await library();
  const { NameConstraints, GeneralSubtrees, GeneralSubtree, GeneralName, id_ce_nameConstraints } =
    await import('@peculiar/asn1-x509');
  const { AsnConvert } = await import('@peculiar/asn1-schema');
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const permitted = new GeneralSubtrees([
    new GeneralSubtree({ base: new GeneralName({ dNSName: 'localhost' }) }),
    new GeneralSubtree({ base: new GeneralName({ iPAddress: '127.0.0.0/8' }) }),
    new GeneralSubtree({ base: new GeneralName({ iPAddress: '::1/128' }) }),
  ]);
  const host = os.hostname().replace(/[^\w.-]/g, '-') || 'this machine';
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=hoop connect local CA (${host}), O=hoop`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.Extension(
        id_ce_nameConstraints,
        true,
        AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted })),
      ),
    ],
  });
  return { cert: `${cert.toString('pem').trim()}\n`, key: pkcs8(keys.privateKey) };
}

/** A new server certificate for {@link LOCAL_NAMES}, signed by `ca`. */
export async function issueServerCertificate(
  ca: IssuedCertificate,
  now = new Date(),
): Promise<IssuedCertificate> {
  const x509 = await library();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(ca.key).export({ type: 'pkcs8', format: 'der' }),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=localhost, O=hoop',
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + SERVER_DAYS * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...LOCAL_NAMES.dns.map((value) => ({ type: 'dns' as const, value })),
        ...LOCAL_NAMES.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: `${cert.toString('pem').trim()}\n`, key: pkcs8(keys.privateKey) };
}
