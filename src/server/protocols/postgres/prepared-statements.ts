import type { ColumnUse, UseSource } from '../../enforcement/index.js';
import type { ClassifiedStatement, StatementKind, UnknownCode } from '../../sql/index.js';

/**
 * What the target may run under a prepared statement's name: every
 * statement prepared under it that may be in place when an EXECUTE runs
 * (the one the target has, and those prepared by strings forwarded but not
 * yet answered), or undefined when what it runs cannot be known (a
 * statement the gateway did not see prepared, or saw without reading it).
 * SQL's PREPARE and the protocol's Parse share one namespace.
 */
export interface PreparedLookup {
  preparedAs(name: string): readonly ClassifiedStatement[] | undefined;
}

/**
 * The statements of one string with each `EXECUTE name` (also under EXPLAIN
 * or CREATE TABLE AS) decided as what it runs: the prepared statement's
 * kinds, tables, functions, routines and unknown code are added to its own
 * (`execute` stays first), its output lineage is the prepared statement's
 * when only one can be in place. A PREPARE earlier in the same string
 * counts. A name the gateway cannot tell is unknowable (reason `prepared`).
 */
export function executedAs(
  statements: readonly ClassifiedStatement[],
  lookup: PreparedLookup | undefined,
): readonly ClassifiedStatement[] {
  if (!statements.some((statement) => statement.prepared !== undefined)) return statements;
  return statements.map((statement, index) => {
    const name = statement.prepared;
    if (name === undefined) return statement;
    const here = statements
      .slice(0, index)
      .flatMap((earlier) => (earlier.prepares?.name === name ? [earlier.prepares.statement] : []));
    const known = lookup?.preparedAs(name);
    if (known === undefined && here.length === 0) {
      return unknowable(statement, {
        reason: 'prepared',
        message: `runs prepared statement "${name}", which the gateway did not see prepared`,
      });
    }
    return running(statement, [...here, ...(known ?? [])]);
  });
}

function running(
  statement: ClassifiedStatement,
  prepared: readonly ClassifiedStatement[],
): ClassifiedStatement {
  const union = <T>(pick: (s: ClassifiedStatement) => readonly T[]): T[] => [
    ...new Set([...pick(statement), ...prepared.flatMap(pick)]),
  ];
  const unknown: UnknownCode[] = [...statement.unknown, ...prepared.flatMap((p) => p.unknown)];
  const kinds = union<StatementKind>((s) => s.kinds);
  return {
    ...statement,
    kinds,
    tables: union((s) => s.tables),
    functions: union((s) => s.functions),
    dangerousFunctions: union((s) => s.dangerousFunctions),
    functionGroups: union((s) => s.functionGroups),
    routines: [...statement.routines, ...prepared.flatMap((p) => p.routines)],
    unknown,
    settings: [...statement.settings, ...prepared.flatMap((p) => p.settings)],
    writes: statement.writes || prepared.some((p) => p.writes),
    opaque: unknown.length > 0,
    roleChange: statement.roleChange || prepared.some((p) => p.roleChange),
    // EXPLAIN EXECUTE returns a plan and CREATE TABLE AS EXECUTE nothing: only EXECUTE returns its rows.
    lineage:
      statement.kinds[0] === 'execute' && prepared.length === 1 ? prepared[0]!.lineage : null,
    uses: [
      ...statement.uses,
      ...prepared.flatMap((p) => p.uses),
      ...(statement.kinds[0] === 'execute' || statement.kinds[0] === 'explain'
        ? []
        : prepared.flatMap(stored)),
    ],
  };
}

/** CREATE TABLE AS EXECUTE: the prepared statement's rows are written to a table. */
function stored(prepared: ClassifiedStatement): ColumnUse[] {
  const sources = (prepared.lineage ?? []).flatMap((output): UseSource[] =>
    output.kind === 'star' ? [{ kind: 'row', table: output.table }] : output.sources,
  );
  return sources.length === 0 ? [] : [{ use: 'write', what: 'CREATE TABLE … AS EXECUTE', sources }];
}

function unknowable(statement: ClassifiedStatement, unknown: UnknownCode): ClassifiedStatement {
  return {
    ...statement,
    kinds: statement.kinds.includes('dynamic') ? statement.kinds : [...statement.kinds, 'dynamic'],
    unknown: [...statement.unknown, unknown],
    opaque: true,
    lineage: null,
  };
}
