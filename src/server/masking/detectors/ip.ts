import { isIP } from 'node:net';
import { codeAt, foldedFinder, isAlnum, isDigit } from '../chars.js';
import { profileText } from '../profile.js';
import { redactIp } from '../redact.js';
import type { Detector, Match } from '../types.js';

/**
 * IPv4 and IPv6 addresses. Candidates are cut from the text by hand (a dotted
 * quad of 1–3 digit groups; a run of hex digits, `:` and `.` with two or more
 * colons) and confirmed with `net.isIP`, which rejects `256.1.1.1`, leading
 * zeros, times (`10:30:00`) and MAC addresses. A candidate glued to a letter,
 * digit or (for IPv4) to another `.digit` is skipped, so `std::max` and
 * `1.2.3.4.5` are not addresses. Version numbers with four parts
 * (`1.2.3.4`) are valid addresses and are masked: there is no telling them apart.
 * A CIDR suffix (`/24`) or port (`:5432` after IPv4) stays.
 */
export const ip: Detector = {
  name: 'ip',
  admits: (p) => (p.dots >= 3 && p.digits >= 4) || p.colons >= 2,
  mightContain: (text) => ip.admits(profileText(text)),
  find: foldedFinder(findIps),
  findFolded: findIps,
  redact: redactIp,
};

function findIps(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isHex(c) || c === 0x3a) || isAlnum(codeAt(text, i - 1))) {
      i++;
      continue;
    }
    const end = ipv6End(text, i) ?? ipv4End(text, i);
    if (end !== undefined) {
      out.push({ start: i, end: end.end, kind: end.kind });
      i = end.end;
      continue;
    }
    // Skip the whole run, so a long run of hex and colons is scanned once.
    i++;
    while (i < n && (isHex(text.charCodeAt(i)) || text.charCodeAt(i) === 0x3a)) i++;
    while (i < n && isAlnum(text.charCodeAt(i))) i++;
  }
  return out;
}

interface Found {
  end: number;
  kind: 'ipv4' | 'ipv6';
}

function isHex(c: number): boolean {
  return isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function ipv4End(text: string, start: number): Found | undefined {
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (codeAt(text, i) !== 0x2e) return undefined;
      i++;
    }
    const from = i;
    while (i - from < 3 && isDigit(codeAt(text, i))) i++;
    if (i === from) return undefined;
  }
  const next = codeAt(text, i);
  if (isAlnum(next) || (next === 0x2e && isDigit(codeAt(text, i + 1)))) return undefined;
  if (codeAt(text, start - 1) === 0x2e && isDigit(codeAt(text, start - 2))) return undefined;
  return isIP(text.slice(start, i)) === 4 ? { end: i, kind: 'ipv4' } : undefined;
}

function ipv6End(text: string, start: number): Found | undefined {
  let i = start;
  let colons = 0;
  // The longest textual IPv6 address has 45 characters (`ffff:…:255.255.255.255`):
  // stopping past that keeps a long run of hex digits, colons and dots linear to scan.
  for (; i - start <= 48; i++) {
    const c = codeAt(text, i);
    if (c === 0x3a) colons++;
    else if (!isHex(c) && c !== 0x2e) break;
  }
  if (colons < 2 || i - start > 48 || isAlnum(codeAt(text, i))) return undefined;
  // Trailing punctuation (`fe80::1.` or `fe80::1:` in a sentence) is not part of the address.
  let end = i;
  while (end > start && codeAt(text, end - 1) === 0x2e) end--;
  if (codeAt(text, end - 1) === 0x3a && codeAt(text, end - 2) !== 0x3a) end--;
  const candidate = text.slice(start, end);
  return isIP(candidate) === 6 && /[0-9a-fA-F]/.test(candidate) ? { end, kind: 'ipv6' } : undefined;
}
