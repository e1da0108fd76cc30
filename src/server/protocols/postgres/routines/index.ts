/**
 * What the objects a statement reaches would run, read from the target's
 * catalog, so that a statement is decided by everything it can make the
 * server execute, not only by its text.
 *
 * Followed, recursively (`resolver.ts`):
 *
 * - functions and procedures called by name, every overload in every
 *   schema for a bare name (the session's search path is not known and can
 *   change at run time), in the named schema only for a qualified one
 *   (`pg_temp` meaning any session's temporary schema); an aggregate's
 *   support functions; the functions an operator runs (code and estimators);
 * - for each table written (every table of a writing statement: the
 *   classifier does not say which are written): enabled triggers for the
 *   statement's events with their WHEN conditions, rules, defaults and
 *   generated columns, check constraints, the checks and defaults of its
 *   columns' domains, index expressions and predicates, row-security
 *   policies when row security is on, the referencing tables its foreign
 *   keys' actions write, and its partitions and inheritance children;
 * - for each table or view read: a view's or materialized view's query,
 *   SELECT policies; a view written writes its base tables and fires its
 *   own (INSTEAD OF) triggers and rules;
 * - event triggers, for statements and bodies that run DDL.
 *
 * Trusted, not read: functions in `pg_catalog` and `information_schema`
 * (the server's built-ins; the dangerous ones are flagged by name by the
 * classifier, and reached code's names are reported so they still are);
 * and, unless `trustExtensionCode` is false, an extension's functions in C
 * or `internal` (see `FactOptions.trustExtensionCode`). Every other function
 * is read: SQL and PL/pgSQL bodies are classified, any other language (C or
 * `internal` outside an extension, plpython, plperl…) is `unknown`, naming
 * the function and its language and noting SECURITY DEFINER.
 *
 * Not followed yet: casts and type input functions (the classifier reports
 * no routine for `x::t`), the operators BETWEEN expands to, `COPY … FROM`'s
 * column types' input functions, domains inside arrays and composite types,
 * foreign tables' remote side.
 */
export { RoutineCache, type RoutineCacheOptions } from './cache.js';
export {
  NOTHING_REACHED,
  withReached,
  type ReachedEffects,
  type ReachedUnknown,
} from './effects.js';
export { DEFAULT_ROUTINE_LIMITS, type RoutineLimits } from './limits.js';
export { RoutineResolver, type CatalogQueries, type RoutineResolverOptions } from './resolver.js';
