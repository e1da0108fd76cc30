import {
  GUARDED_SETTINGS,
  LEXER_SETTINGS,
  ROLE_SETTINGS,
  isSafeEncoding,
  type ClassifiedStatement,
} from '../../sql/index.js';

/**
 * What the gateway keeps fixed in every session, whatever its policy says,
 * because its decisions rest on them: how the server lexes SQL, and as whom
 * the session acts.
 *
 * The server lexes SQL text by session settings (the PostgreSQL manual,
 * "Lexical Structure"): with `standard_conforming_strings` off a backslash
 * escapes inside '…', and in client encodings such as SJIS, BIG5, GBK,
 * GB18030, UHC and JOHAB the second byte of a character can be a quote or a
 * backslash. The gateway parses with the defaults, so it keeps every
 * session at them: the text it decided is the text the server runs.
 *
 * - the target's start-up asks for `client_encoding` UTF8 (or a client's
 *   own SQL_ASCII, which splits text the same way);
 * - a statement that would set one of these settings to anything else, at
 *   any scope (SET, set_config, ALTER ROLE/DATABASE/SYSTEM … SET, a
 *   function's SET clause), or to a value only known at run time, is
 *   refused;
 * - the server's own reports (ParameterStatus, GUC_REPORT) are followed: a
 *   session in which they ever differ from the defaults is refused from
 *   then on (the login too, for a role or database whose defaults differ).
 *
 * The session acts as the role the connection logs in with: SET ROLE and SET
 * SESSION AUTHORIZATION to another role, or a role or database default that
 * would do it at the next login, are refused (RESET ROLE, SET ROLE NONE and
 * … DEFAULT go back to the login role and pass). The credentials the
 * gateway holds are the only access a caller gets.
 */

/** Whether `value` keeps a guarded setting as the gateway needs it (see GUARDED_SETTINGS). */
function safeValue(name: string, value: string): boolean {
  const guard = GUARDED_SETTINGS.get(name);
  return guard === undefined || guard.kind === 'code' || guard.safe(value);
}

export { isSafeEncoding };

/**
 * Why a statement would change how the server lexes text or whom the
 * session acts as, or undefined when it would not.
 */
export function pinnedChange(statement: ClassifiedStatement): string | undefined {
  // set_config(name, value) with either built at run time reads as a change without a constant.
  const computed = statement.functions.some((name) => name.split('.').pop() === 'set_config');
  for (const change of statement.settings) {
    if (ROLE_SETTINGS.has(change.name) && change.value !== undefined) {
      if (safeValue(change.name, change.value)) continue;
      const where =
        change.scope === 'session' || change.scope === 'transaction'
          ? ''
          : ` as the ${change.scope}'s default`;
      return `sets ${change.name} to ${change.value}${where}, acting as another role than the connection's`;
    }
    if (!change.lexer) continue;
    if (change.name === '*') {
      // RESET ALL and DISCARD ALL return to the values the session started with, checked at login.
      if (change.value === undefined && !computed) continue;
      return 'sets a setting whose name is known only at run time';
    }
    if (change.value === undefined) {
      // RESET and SET … TO DEFAULT return to the start-up value, checked at login.
      if (!computed) continue;
      return `sets ${change.name} to a value known only at run time`;
    }
    if (!safeValue(change.name, change.value)) {
      const where =
        change.scope === 'session' || change.scope === 'transaction'
          ? ''
          : ` as the ${change.scope}'s default`;
      return `sets ${change.name} to ${change.value}${where}`;
    }
  }
  return undefined;
}

/**
 * One session's lexing settings as the server reports them. `unsafe` says
 * why the session can no longer be decided, once a report differs from the
 * defaults.
 */
export class SessionPins {
  private broken: string | undefined;

  /** A ParameterStatus from the target (at login or later). */
  report(name: string, value: string): void {
    const lower = name.toLowerCase();
    if (LEXER_SETTINGS.has(lower) && !safeValue(lower, value) && !this.broken)
      this.broken = `the server reports ${name} = ${value}`;
  }

  get unsafe(): string | undefined {
    return this.broken;
  }
}
