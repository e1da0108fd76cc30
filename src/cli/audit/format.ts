import { formatTable } from '../output.js';
import type { AuditEvent, AuditPreview, AuditSession, AuditSessionDetail } from './types.js';

/** Who acted: the identity, and the agent acting for it when there is one. */
export function who(session: AuditSession): string {
  const [actor] = session.actors;
  return actor ? `${session.identity.name} via ${actor}` : session.identity.name;
}

/** `2026-03-01 10:00:00` in UTC: sortable, and the same on every auditor's machine. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** A duration for a table cell: `950ms`, `12s`, `3m20s`, `2h05m`. */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The `hoop audit list` table, like `kubectl get`. */
export function sessionTable(sessions: AuditSession[], now = Date.now()): string {
  return formatTable(
    ['id', 'started (utc)', 'duration', 'who', 'connection', 'client', 'end'],
    sessions.map((s) => {
      const end = s.endedAt ? Date.parse(s.endedAt) : now;
      return [
        s.id,
        shortTime(s.startedAt),
        span(end - Date.parse(s.startedAt)),
        who(s),
        s.connection.name,
        s.client,
        s.endedAt ? (s.closeReason ?? '-') : 'open',
      ];
    }),
  );
}

/** One line per statement: offset, decision, SQL on one line, and what came of it. */
export function timelineLine(event: AuditEvent, offsetMs: number, maxSql = 100): string {
  const offset = `+${(offsetMs / 1000).toFixed(3)}s`;
  return `${offset.padStart(10)}  ${statementLine(event, maxSql)}`;
}

/** Decision, SQL on one line, and what came of it: `allow   select 1  (1 row, 0.3 ms)`. */
export function statementLine(event: AuditEvent, maxSql = 100): string {
  return `${decisionWord(event).padEnd(6)}  ${oneLine(event.text, maxSql)}  (${outcome(event)})`;
}

/** allow, deny, or review when the statement was held for one. */
export function decisionWord(event: AuditEvent): string {
  return event.reviewId ? 'review' : event.decision;
}

/** `3 rows, 1.2 ms`, or the error the client saw. */
export function outcome(event: AuditEvent): string {
  const parts: string[] = [];
  if (event.errorCode) parts.push(`error ${event.errorCode}: ${event.errorMessage ?? ''}`.trim());
  else if (event.rows !== undefined)
    parts.push(`${event.rows} ${event.rows === 1 ? 'row' : 'rows'}`);
  if (event.durationMs !== undefined) parts.push(`${event.durationMs.toFixed(1)} ms`);
  if (event.reviewId)
    parts.push(`review ${event.reviewId}${event.reviewOutcome ? ` ${event.reviewOutcome}` : ''}`);
  return parts.join(', ') || 'no result';
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The first rows of a masked result as a small table, indented under its statement. */
export function previewTable(preview: AuditPreview, maxRows: number, indent = '      '): string {
  const rows = preview.rows
    .slice(0, maxRows)
    .map((row) => row.map((cell) => oneLine(cell ?? 'NULL', 40)));
  const more = preview.rows.length - rows.length;
  // Column names as the result had them: formatTable's header is upper-cased, so they go in as a row.
  const lines = formatTable(
    preview.columns.map(() => ''),
    [preview.columns, ...rows],
  )
    .split('\n')
    .slice(1);
  if (more > 0 || preview.truncated) {
    lines.push(
      more > 0
        ? `… ${more} more rows kept${preview.truncated ? ', more not kept' : ''}`
        : '… more rows not kept',
    );
  }
  return lines.map((line) => indent + line).join('\n');
}

/** `hoop audit show`: the header, then each event. */
export function sessionText(session: AuditSessionDetail, events: AuditEvent[]): string {
  const lines = [
    `session     ${session.id}`,
    `identity    ${session.identity.name} (${session.principal ?? session.subject}, ${session.identity.kind}, ${session.identity.authMethod})`,
    `groups      ${session.identity.groups.join(', ') || '-'}`,
    `actors      ${session.actors.length > 0 ? session.actors.join(' → ') : '-'}`,
    `connection  ${session.connection.name} (${session.connection.type})`,
    `client      ${session.client}`,
    `policy      ${session.policyVersions.join(', ') || '-'}`,
    `started     ${session.startedAt}`,
    `ended       ${session.endedAt ?? 'still open'}`,
    `close       ${session.closeReason ? `${session.closeReason}${session.closeDetail ? `: ${session.closeDetail}` : ''}` : '-'}`,
    `bytes       ${session.bytesUp} up, ${session.bytesDown} down`,
    '',
    `${events.length} ${events.length === 1 ? 'event' : 'events'}${session.inProgress ? ' so far' : ''}`,
  ];
  for (const event of events) {
    lines.push('');
    lines.push(
      `#${event.seq}  ${event.at}  ${decisionWord(event)}${event.rule ? ` by ${event.rule}` : ''}`,
    );
    lines.push(...event.text.split('\n').map((line) => `    ${line}`));
    const cut = event.detail;
    if (cut?.textBytes !== undefined && cut.textSha256 !== undefined) {
      lines.push(
        `    … the first ${Buffer.byteLength(event.text)} of ${cut.textBytes} bytes kept (sha256 ${cut.textSha256})`,
      );
    }
    if (cut?.unfinished) {
      lines.push(
        '    … unfinished: the session stopped before its last statement; counts are of what completed',
      );
    }
    lines.push(`    ${outcome(event)}`);
  }
  return lines.join('\n');
}
