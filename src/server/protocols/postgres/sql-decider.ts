import { refusedInstead, type Decision, type Enforcer } from '../../enforcement/index.js';
import { toAnalysis, type Classification } from '../../sql/index.js';
import { copyOutRequest, type CopyOutRequest } from './copy-out-request.js';
import { pinnedChange, type SessionPins } from './session-pins.js';
import type { PostgresClassifier } from './sql-classifier.js';

/** How the relay decided one SQL string, with what it needs to forward it. */
export interface SqlVerdict {
  decision: Decision;
  /** With masks: the string's COPY … TO STDOUT statements, in order. */
  copyOut: readonly CopyOutRequest[];
  /**
   * The string may replace prepared statements or portals behind the
   * protocol's back (PREPARE, DEALLOCATE, DECLARE, CLOSE, EXECUTE, DISCARD):
   * the relay forgets what it knew of them.
   */
  replacesPrepared: boolean;
}

/**
 * Decides each SQL string of a session: classified with the real
 * PostgreSQL parser (see {@link PostgresClassifier}), then decided by the
 * session's enforcer. A COPY … TO a file, a program, or
 * with options the relay cannot follow is refused while masks apply, naming
 * the mask rule: its rows could not be masked on the wire.
 */
export class SqlDecider {
  constructor(
    private readonly enforcer: Enforcer,
    private readonly pins: SessionPins,
    private readonly classifier: PostgresClassifier,
  ) {}

  /** The verdict on one string; a promise when its classification runs off the event loop. */
  decide(text: string): SqlVerdict | Promise<SqlVerdict> {
    const classification = this.classifier.classify(text);
    return classification instanceof Promise
      ? classification.then((classified) => this.decideClassified(text, classified))
      : this.decideClassified(text, classification);
  }

  private decideClassified(text: string, classification: Classification): SqlVerdict {
    const decision = this.enforcer.decide({
      type: 'sql',
      text,
      analysis: toAnalysis(classification),
    });
    const replacesPrepared = classification.ok && classification.statements.some(replaces);
    if (this.enforcer.active && decision.effect !== 'deny') {
      const why = this.pinProblem(classification);
      if (why) return { decision: refusedInstead(decision, why), copyOut: [], replacesPrepared };
    }
    if (decision.effect !== 'allow' || !decision.masks || !classification.ok) {
      return { decision, copyOut: [], replacesPrepared };
    }
    const copyOut: CopyOutRequest[] = [];
    const rule = decision.masks.masks[0]?.rule;
    for (const statement of copies(classification)) {
      const request = copyOutRequest(statement.copy?.out);
      if (request.problem !== undefined && rule !== undefined) {
        return {
          decision: refusedInstead(
            decision,
            `hoop: refused by policy rule "${rule}": ${request.problem} while masking applies; use SELECT`,
            rule,
          ),
          copyOut: [],
          replacesPrepared,
        };
      }
      copyOut.push(request);
    }
    return { decision, copyOut, replacesPrepared };
  }

  /**
   * Why the string cannot run without the server reading SQL differently
   * from the gateway, or the session acting as another role (see session-pins.ts).
   */
  private pinProblem(classification: Classification): string | undefined {
    const broken = this.pins.unsafe;
    if (broken) {
      return `hoop: refused: ${broken}, so the gateway can no longer read this session's SQL as the server does; open a new session`;
    }
    if (!classification.ok) return undefined;
    for (const statement of classification.statements) {
      const change = pinnedChange(statement);
      if (change) {
        return `hoop: refused: the statement ${change}; the gateway keeps every session lexing SQL as it does (standard_conforming_strings on, client_encoding UTF8) and acting as the connection's role`;
      }
    }
    return undefined;
  }
}

/** The statements that copy rows out of the database, in order. */
function copies(classification: Extract<Classification, { ok: true }>) {
  return classification.statements.filter((statement) => statement.copy?.direction === 'out');
}

/** Statements that create, drop or run prepared statements and cursors by name, or reset the session. */
function replaces(statement: { kinds: readonly string[]; roleChange: boolean }): boolean {
  return (
    statement.roleChange ||
    statement.kinds.some((kind) => kind === 'prepare' || kind === 'cursor' || kind === 'execute')
  );
}
