import type { NoticeFields } from './protocol/index.js';

/**
 * What masking does to the words a PostgreSQL server sends: ErrorResponse
 * and NoticeResponse fields, NotificationResponse, ParameterStatus
 * (protocol §55.8, "Error and Notice Message Fields"). Pure functions; the
 * result filter decides when they apply.
 *
 * Two treatments:
 *
 * - **Detectors** run over every free-text field whenever a mask rule
 *   applies to the session, as over result cells: a hit is redacted in
 *   place (`j***@example.com`).
 * - **Variable parts hidden** when the message may carry a masked value
 *   (the statement it answers reads a table a mask rule could name, or
 *   runs code the gateway cannot see). PostgreSQL's messages put what
 *   varies in double quotes (`relation "x" does not exist`), in parentheses
 *   (`Key (email)=(…) already exists.`, `Failing row contains (…).`) or
 *   after a colon (`invalid input syntax for type integer: "…"`, `line 1:
 *   …`), by its message style guide. Each of those becomes `***`, as does
 *   every run of digits, every `0x…` byte dump and every word holding an
 *   `@`; the message, detail and hint keep their first line only (xmlparse
 *   and JSON echo the input on the next ones); the internal query (`q`, the
 *   text of a statement built at run time) is hidden whole. What is left is
 *   the fixed text: `invalid input syntax for type integer: "***"`,
 *   `duplicate key value violates unique constraint "***"`, `Key (***)=(***)
 *   already exists.`. SQLSTATE, severity and the server's file, line and
 *   routine are kept: the server writes them, no data does.
 * - A message whose text is the user's own (RAISE and ASSERT in PL/pgSQL,
 *   the other procedural languages' logging, or one that does not say
 *   which routine raised it) has no fixed text to keep: its message, detail
 *   and hint are hidden whole, its SQLSTATE kept.
 */

/** Stands for a hidden part. */
export const HIDDEN = '***';

/** The message text of a message whose words may be the user's and may hold masked data. */
export const HIDDEN_MESSAGE = 'hoop: message hidden (it may hold masked data)';

/** Fields the server fills in itself: never data. */
const SERVER_FIELDS: ReadonlySet<keyof NoticeFields> = new Set([
  'severity',
  'severityNonLocalized',
  'code',
  'position',
  'internalPosition',
  'file',
  'line',
  'routine',
]);

/** Routines that raise the user's own text (`R` field), by PL/pgSQL's and the other languages' sources. */
const USER_TEXT_ROUTINES: ReadonlySet<string> = new Set([
  'exec_stmt_raise',
  'exec_stmt_assert',
  'PLy_output',
  'PLy_elog_impl',
  'plperl_elog',
  'pltcl_elog',
]);

/** Source files of the procedural languages' handlers (`F` field). */
const PL_FILE = /^(pl_|plpy|plperl|pltcl)/;

/** Whether the message's text is the user's own (RAISE …), or cannot be told (no routine named). */
export function raisedByUser(fields: NoticeFields): boolean {
  if (fields.routine === undefined || fields.file === undefined) return true;
  return USER_TEXT_ROUTINES.has(fields.routine) || PL_FILE.test(fields.file);
}

/**
 * The fixed text of one line of a server message, its variable parts
 * `***` (see the module comment).
 */
export function hideVariableParts(line: string): string {
  let out = hideEnclosed(line);
  out = out.replace(/0x[0-9a-f]+/gi, HIDDEN);
  out = out.replace(/\S*@\S*/g, HIDDEN);
  out = out.replace(/[0-9]+/g, HIDDEN);
  const colon = out.indexOf(': ');
  if (colon >= 0) {
    const rest = out.slice(colon + 2).trim();
    if (!/^("\*\*\*"|'\*\*\*'|\(\*\*\*\)|\*\*\*)[.]?$/.test(rest)) {
      out = `${out.slice(0, colon + 2)}${HIDDEN}`;
    }
  }
  return out.replace(/(\*\*\*)+/g, HIDDEN);
}

/**
 * Replaces what is inside double quotes, single quotes and parentheses
 * (outermost pairs, nesting followed) by `***`; an opening without its
 * close hides the rest of the line.
 */
function hideEnclosed(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"' || c === "'") {
      const close = line.indexOf(c, i + 1);
      out += `${c}${HIDDEN}${c}`;
      if (close < 0) return out;
      i = close + 1;
    } else if (c === '(') {
      let depth = 1;
      let j = i + 1;
      while (j < line.length && depth > 0) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')') depth--;
        j++;
      }
      out += `(${HIDDEN})`;
      if (depth > 0) return out;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every line's fixed text (`where`: each line is a context entry of its own). */
function hideLines(text: string): string {
  return text.split('\n').map(hideVariableParts).join('\n');
}

/** The first line's fixed text; later lines (input echoed by xmlparse, JSON) are dropped. */
function hideFirstLine(text: string): string {
  const newline = text.indexOf('\n');
  return hideVariableParts(newline < 0 ? text : text.slice(0, newline));
}

export interface MessageMasking {
  /** The message may carry a masked value: hide its variable parts. */
  hide: boolean;
  /** The session's detectors over free text; undefined when nothing matched. */
  scan: (text: string) => string | undefined;
}

/**
 * The fields of an ErrorResponse or NoticeResponse as the client may see
 * them; `undefined` when none changes (forward the original bytes).
 */
export function maskNoticeFields(
  fields: NoticeFields,
  masking: MessageMasking,
): NoticeFields | undefined {
  const out: NoticeFields = { ...fields };
  let changed = false;
  const userText = masking.hide && raisedByUser(fields);
  for (const key of Object.keys(fields) as (keyof NoticeFields)[]) {
    const value = fields[key];
    if (value === undefined || SERVER_FIELDS.has(key)) continue;
    let next: string | undefined = masking.scan(value) ?? value;
    if (masking.hide) {
      if (key === 'internalQuery') next = HIDDEN;
      else if (userText && (key === 'message' || key === 'detail' || key === 'hint')) {
        next = key === 'message' ? HIDDEN_MESSAGE : undefined;
      } else if (key === 'where') next = hideLines(next);
      else next = hideFirstLine(next);
    }
    if (next === value) continue;
    changed = true;
    if (next === undefined) delete out[key];
    else out[key] = next;
  }
  return changed ? out : undefined;
}

/**
 * Parameters whose values the server checks against a fixed set (an
 * encoding, a date style, a time zone, on/off …) and clients depend on:
 * reported as they are. Any other (`application_name`, a custom setting an
 * extension reports) is free text.
 */
export const PROTOCOL_PARAMETERS: ReadonlySet<string> = new Set([
  'client_encoding',
  'server_encoding',
  'datestyle',
  'intervalstyle',
  'timezone',
  'integer_datetimes',
  'standard_conforming_strings',
  'server_version',
  'is_superuser',
  'session_authorization',
  'in_hot_standby',
  'default_transaction_read_only',
  'scram_iterations',
  'search_path',
]);

/**
 * A ParameterStatus value as the client may see it: protocol parameters as
 * they are; free text through the detectors, and hidden whole when the
 * setting may hold a masked value. `undefined`: unchanged.
 */
export function maskParameterValue(
  name: string,
  value: string,
  masking: MessageMasking,
): string | undefined {
  if (PROTOCOL_PARAMETERS.has(name.toLowerCase())) return undefined;
  if (masking.hide) return value === '' || value === HIDDEN ? undefined : HIDDEN;
  return masking.scan(value);
}

/**
 * A NotificationResponse as the client may see it. Its payload may come
 * from any session of the database (a NOTIFY elsewhere, a trigger), so the
 * gateway cannot know what it was derived from: under masking a non-empty
 * payload is hidden whole (fail closed). The channel is one this session
 * listens on; it is scanned and its variable parts hidden all the same
 * (a LISTEN run from code could have named it after a value).
 */
export function maskNotification(
  channel: string,
  payload: string,
  masking: MessageMasking,
): { channel: string; payload: string } | undefined {
  const scanned = masking.scan(channel) ?? channel;
  const nextChannel = hideVariableParts(scanned);
  const nextPayload = payload === '' ? payload : HIDDEN;
  if (nextChannel === channel && nextPayload === payload) return undefined;
  return { channel: nextChannel, payload: nextPayload };
}
