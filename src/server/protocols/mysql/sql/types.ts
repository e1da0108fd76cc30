import type { OutputLineage, SqlStatement } from '../../../enforcement/index.js';
import type { StatementKind } from '../../../sql/index.js';

/** A session setting a statement changes (SET, SET NAMES …). */
export interface MysqlSetting {
  /** Lower-cased variable name (`sql_mode`, `character_set_client`, `names` for SET NAMES/CHARSET). */
  name: string;
  /** The value when the statement spells it as a constant. */
  value?: string;
  /** Changing it changes how the server lexes SQL text (see session-lexing.ts). */
  lexer: boolean;
}

/** One MySQL statement as policy, masking and the relay read it. */
export interface MysqlStatement extends SqlStatement {
  kinds: StatementKind[];
  tables: string[];
  functions: string[];
  lineage: OutputLineage[] | null;
  unknown: { reason: string; message: string }[];
  settings: MysqlSetting[];
  /** `EXECUTE name`: decided as the statement `PREPARE name FROM '…'` prepared. */
  prepared?: string;
  /** `PREPARE name FROM '…'` with a constant text: its statement classified as if sent alone. */
  prepares?: { name: string; statement: MysqlStatement };
  /** `DEALLOCATE PREPARE name` / `DROP PREPARE name`. */
  deallocates?: string;
  /** `USE db`: the database it switches to. */
  database?: string;
  /**
   * The rows it reads go somewhere other than the client (INSERT … SELECT,
   * CREATE TABLE … SELECT, SELECT … INTO @v/OUTFILE/DUMPFILE, SET @v =
   * (SELECT …), UPDATE … SET = (SELECT …)): masking cannot apply there.
   */
  nonProjection?: string;
}

export type MysqlClassification =
  | { ok: true; statements: MysqlStatement[] }
  | {
      ok: false;
      reason: 'syntax' | 'limit';
      error: { message: string; position?: number; code?: string };
    };
