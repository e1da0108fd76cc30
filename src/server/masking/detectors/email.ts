import { codeAt, foldedFinder, isAlnum, isAlpha } from '../chars.js';
import { redactEmail } from '../redact.js';
import { redactEmailUtf8 } from '../redact-utf8.js';
import type { Detector, Match } from '../types.js';
import { profileText } from '../profile.js';

/**
 * Email addresses (RFC 5321 dot-atom local part, DNS host name). Found by
 * expanding around each `@` instead of a regex, so a long run of word
 * characters cannot make the scan quadratic. ASCII only: internationalised
 * addresses (RFC 6531) are not detected. Quoted local parts are not either.
 */
export const email: Detector = {
  name: 'email',
  admits: (p) => p.at > 0 && p.dots > 0 && p.length >= 6,
  mightContain: (text) => email.admits(profileText(text)),
  find: foldedFinder(findEmails),
  findFolded: findEmails,
  redact: redactEmail,
  redactUtf8: redactEmailUtf8,
};

/** atext of RFC 5322 §3.2.3, plus `.`, by ASCII code. */
const LOCAL_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isAlnum(c) || "!#$%&'*+/=?^_`{|}~.-".includes(String.fromCharCode(c))) LOCAL_CHARS[c] = 1;
}

function isLocalChar(c: number): boolean {
  return c >= 0 && c < 128 && LOCAL_CHARS[c] === 1;
}

function findEmails(text: string): Match[] {
  const out: Match[] = [];
  let floor = 0; // a match may not start inside the previous one
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > floor && isLocalChar(codeAt(text, start - 1))) start--;
    while (start < at && codeAt(text, start) === 0x2e) start++; // no leading dot
    if (start === at || at - start > 64) continue;
    if (codeAt(text, at - 1) === 0x2e) continue; // no trailing dot
    const end = domainEnd(text, at + 1);
    if (end === -1) continue;
    out.push({ start, end });
    floor = end;
    at = end - 1;
  }
  return out;
}

/**
 * End of a host name of two or more labels starting at `from`, or -1. Labels
 * are letters, digits and inner hyphens; the last (the TLD) has two or more
 * letters. A trailing dot (end of a sentence) is not part of it.
 */
function domainEnd(text: string, from: number): number {
  let i = from;
  let labels = 0;
  let lastLabelStart = from;
  let end = -1;
  for (;;) {
    const labelStart = i;
    while (isAlnum(codeAt(text, i)) || codeAt(text, i) === 0x2d) i++;
    const length = i - labelStart;
    if (
      length === 0 ||
      length > 63 ||
      codeAt(text, labelStart) === 0x2d ||
      codeAt(text, i - 1) === 0x2d
    ) {
      break;
    }
    labels++;
    lastLabelStart = labelStart;
    if (labels >= 2 && tldOk(text, lastLabelStart, i)) end = i;
    if (codeAt(text, i) !== 0x2e) break;
    i++;
  }
  return end;
}

function tldOk(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  for (let i = start; i < end; i++) if (!isAlpha(text.charCodeAt(i))) return false;
  return true;
}
