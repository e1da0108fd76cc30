import type { SqlError } from './postgres.js';

/** The review a gateway message names (`… review rev_01h… …`), if any. */
export function reviewIdOf(message: string): string | undefined {
  return /\breview (rev_[0-9a-z]+)/i.exec(message)?.[1];
}

/**
 * The line under a failed `hoop exec` that says what to do (README: "Every
 * error prints one line saying what went wrong and one saying what to do"):
 * the server's own HINT when it sent one, else by who answered and the
 * SQLSTATE class (PostgreSQL docs, Appendix A). `connection` is the name the
 * user ran against, for commands to copy.
 */
export function sqlAdvice(error: SqlError, connection: string): string {
  if (error.hint) return error.hint;
  if (error.message.startsWith('hoop:')) return gatewayAdvice(error.message, connection);
  const code = error.code;
  if (code === '42601') return 'Fix the syntax near the place PostgreSQL names, and run it again.';
  if (code === '42501') {
    return 'The database role of this connection lacks that privilege; ask an administrator of the database.';
  }
  if (code === '40001' || code === '40P01')
    return 'Run the transaction again: another one conflicted with it.';
  if (code === '57014')
    return 'The statement was cancelled (statement_timeout or a cancel request); narrow it or try again.';
  switch (code.slice(0, 2)) {
    case '08':
    case '57':
      return 'The gateway lost the database; try again, or ask an administrator to check the target.';
    case '22':
      return 'A value does not fit its type or format; check the values in the statement.';
    case '23':
      return 'The change breaks a constraint of the table (DETAIL names it); change the values.';
    case '25':
      return 'End the transaction (ROLLBACK) and run the statements again in one request.';
    case '28':
      return 'The gateway could not log in to the database; ask an administrator to check the connection.';
    case '3D':
    case '3F':
      return 'Check the database or schema name: `hoop connections` shows the database of each connection.';
    case '42':
      return 'Check the names and types in the statement (tables, columns, functions), and run it again.';
    case '53':
    case '54':
      return 'The database ran short of resources or hit a limit; narrow the statement or try again later.';
    default:
      return `See the SQLSTATE ${code} in PostgreSQL's documentation (Appendix A, error codes).`;
  }
}

/** Advice for the gateway's own answers in PostgreSQL's words (messages starting `hoop:`). */
function gatewayAdvice(message: string, connection: string): string {
  const review = reviewIdOf(message);
  const code = /\((HOOP_[A-Z_]+)\)/.exec(message)?.[1];
  if (review && message.startsWith('hoop: waiting for review ')) {
    return `When it is approved (\`hoop reviews show ${review}\`), run it with: hoop exec ${connection} --review ${review}`;
  }
  if (review && code !== undefined) {
    switch (code) {
      case 'HOOP_REVIEW_MISMATCH':
        return `Run exactly the approved text: \`hoop exec ${connection} --review ${review}\` without -i runs it.`;
      case 'HOOP_REVIEW_CONSUMED':
        return 'An approval runs once: send the statement again without --review to ask for a new review.';
      case 'HOOP_REVIEW_PENDING':
        return `Wait for an approver (\`hoop reviews show ${review}\`), then run this again.`;
      case 'HOOP_REVIEW_EXPIRED':
      case 'HOOP_REVIEW_DECIDED':
        return `See why with \`hoop reviews show ${review}\`; send the statement again without --review to ask anew.`;
      case 'HOOP_REVIEW_NOT_FOUND':
        return 'Check the ID: `hoop reviews list --mine` shows your requests.';
    }
  }
  if (review) {
    return `See the approvers' decision with \`hoop reviews show ${review}\`; change the statement or ask them again.`;
  }
  if (
    message.startsWith('hoop: refused by policy') &&
    message.includes('could not be classified')
  ) {
    // The gateway parses with PostgreSQL's own parser: what it cannot parse is a syntax error.
    return "The gateway could not parse this statement, so its policy refused it: check the syntax (it parses with PostgreSQL's own parser).";
  }
  if (message.startsWith('hoop: refused by policy')) {
    return "The gateway's policy refuses this, not the database: ask its administrators if you need it (the rule is named above).";
  }
  if (code === 'HOOP_AUDIT_UNRECORDED' || message.includes('audit store')) {
    return 'The gateway cannot record statements just now; try again later, or ask an administrator.';
  }
  return 'This answer comes from the gateway; ask its administrators if it is unexpected.';
}
