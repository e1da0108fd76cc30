import { API_KEY_PREFIX } from '../../../lib/api-key.js';
import { foldedFinder } from '../chars.js';
import { leftmostLongest } from '../overlaps.js';
import { profileText } from '../profile.js';
import { redactSecret } from '../redact.js';
import type { Detector, Match } from '../types.js';

/**
 * Credentials by their published formats. Each token must stand alone (not
 * glued to other token characters), and the whole token is replaced:
 *
 * | kind | format |
 * | --- | --- |
 * | `jwt` | three base64url parts; the header decodes to a JSON object with a string `alg` (RFC 7519, RFC 7515 §4.1.1) |
 * | `aws_access_key` | `AKIA` (long-term) or `ASIA` (STS) + 16 upper-case letters or digits |
 * | `github_token` | `ghp_` `gho_` `ghu_` `ghs_` `ghr_` + 36 or more alphanumerics; `github_pat_` + 22 or more |
 * | `slack_token` | `xoxb-` `xoxa-` `xoxp-` `xoxr-` `xoxs-` + 10 or more `[A-Za-z0-9-]` |
 * | `stripe_key` | `sk_live_` or `rk_live_` + 10 or more alphanumerics |
 * | `google_api_key` | `AIza` + 35 `[A-Za-z0-9_-]` |
 * | `hoop_api_key` | `hoop_` + 32 or more base64url characters (`hoop keys generate`) |
 * | `private_key` | a PEM block whose label ends in `PRIVATE KEY` (RSA, EC, OpenSSH, PGP …), up to its END line, or to the end of the text when cut off |
 *
 * The byte pre-check needs a run of 16 or more token characters, which every
 * format above contains.
 */
export const secrets: Detector = {
  name: 'secrets',
  admits: (p) => p.tokenRun >= 16,
  mightContain: (text) => secrets.admits(profileText(text)),
  find: foldedFinder(findSecrets),
  findFolded: findSecrets,
  redact: redactSecret,
};

function findSecrets(text: string): Match[] {
  const out: Match[] = [];
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) {
    const kind = kindOf(m[0]);
    if (kind !== undefined) out.push({ start: m.index, end: m.index + m[0].length, kind });
  }
  findPrivateKeys(text, out);
  return leftmostLongest(out);
}

const B64URL = 'A-Za-z0-9_-';
const TOKENS = new RegExp(
  `(?<![${B64URL}])(?:` +
    [
      `eyJ[${B64URL}]{4,}\\.[${B64URL}]{2,}\\.[${B64URL}]*`,
      'A[KS]IA[A-Z0-9]{16}',
      'gh[pousr]_[A-Za-z0-9]{36,251}',
      'github_pat_[A-Za-z0-9_]{22,244}',
      'xox[baprs]-[A-Za-z0-9-]{10,250}',
      '[sr]k_live_[A-Za-z0-9]{10,247}',
      `AIza[${B64URL}]{35}`,
      `${API_KEY_PREFIX}[${B64URL}]{32,256}`,
    ].join('|') +
    `)(?![${B64URL}])`,
  'g',
);

function kindOf(token: string): string | undefined {
  if (token.startsWith('eyJ')) return jwtHeaderOk(token) ? 'jwt' : undefined;
  if (token.startsWith('AKIA') || token.startsWith('ASIA')) return 'aws_access_key';
  if (token.startsWith('gh')) return 'github_token';
  if (token.startsWith('xox')) return 'slack_token';
  if (token.startsWith('sk_') || token.startsWith('rk_')) return 'stripe_key';
  if (token.startsWith('AIza')) return 'google_api_key';
  return 'hoop_api_key';
}

function jwtHeaderOk(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

const PEM_BEGIN = '-----BEGIN ';

function findPrivateKeys(text: string, out: Match[]): void {
  for (let at = text.indexOf(PEM_BEGIN); at !== -1; at = text.indexOf(PEM_BEGIN, at + 1)) {
    const labelEnd = text.indexOf('-----', at + PEM_BEGIN.length);
    if (labelEnd === -1) return;
    const label = text.slice(at + PEM_BEGIN.length, labelEnd);
    if (label.length > 64 || label.includes('\n')) continue;
    if (!label.endsWith('PRIVATE KEY') && !label.endsWith('PRIVATE KEY BLOCK')) continue;
    const endLine = `-----END ${label}-----`;
    const endAt = text.indexOf(endLine, labelEnd);
    const end = endAt === -1 ? text.length : endAt + endLine.length;
    out.push({ start: at, end, kind: 'private_key' });
    at = end - 1;
  }
}
