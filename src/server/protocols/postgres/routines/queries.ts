import type { CatalogStatement } from '../catalog.js';
import { BUILT_IN_SCHEMAS } from './names.js';

/**
 * The resolver's catalog queries. Fixed text; names and OIDs are bound
 * parameters (text arrays), never written into it. Every catalog object is
 * schema-qualified so that the catalog connection's own search path cannot
 * redirect them, and every definition is cut at `$3` characters (the body
 * limit plus one, so that a longer one is seen to be longer without being
 * shipped whole).
 */

/**
 * First in every batch: deparse (views, rules, expressions, BEGIN ATOMIC
 * bodies) with `pg_catalog` alone on the search path, so that every object
 * outside it is written schema-qualified (see `ReachOptions.deparsed`).
 * `is_local`: it ends with the batch's implicit transaction at Sync.
 */
export const PIN_SEARCH_PATH: CatalogStatement = {
  sql: "select pg_catalog.set_config('search_path', 'pg_catalog', true)",
};

const BUILT_IN = `array[${BUILT_IN_SCHEMAS.map((s) => `'${s}'`).join(', ')}]`;

/**
 * Functions by name (outside the built-in schemas, every overload in every
 * schema: `$1`), by OID (`$2`: triggers', aggregates' support functions),
 * those bound to operators named in `$4`, to triggers of relations named in
 * `$5` or with OIDs in `$6`, and to enabled event triggers when `$7`.
 *
 * Built-in functions come back only when asked for by OID (a trigger may
 * run one), without a body: they are trusted. A body is fetched for the
 * languages analysed: `pg_get_functiondef` for
 * PL/pgSQL (compiled with its real signature) and for SQL functions with a
 * BEGIN ATOMIC or RETURN body (whose `prosrc` is empty: the body is the
 * parse tree in `prosqlbody`, PostgreSQL 14+), `prosrc` for other SQL
 * functions. Extension membership is `pg_depend` deptype `e`.
 */
export const FUNCTIONS_SQL = `
select p.oid, n.nspname, p.proname, p.prokind, l.lanname, p.prosecdef,
  exists (
    select from pg_catalog.pg_depend d
    where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objid = p.oid and d.deptype = 'e'
  ) as extension,
  pg_catalog.array_to_json(p.proconfig) as config,
  l.lanname = 'sql' and p.prosrc = '' as atomic,
  case
    when p.prokind = 'a' or n.nspname = any(${BUILT_IN}) then null
    when l.lanname = 'plpgsql' or (l.lanname = 'sql' and p.prosrc = '')
      then pg_catalog.left(pg_catalog.pg_get_functiondef(p.oid), $3)
    when l.lanname = 'sql' then pg_catalog.left(p.prosrc, $3)
  end as body,
  case when n.nspname <> all(${BUILT_IN})
    then pg_catalog.left(pg_catalog.pg_get_expr(p.proargdefaults, 0), $3) end as defaults,
  (
    select pg_catalog.array_to_json(array[
      a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
      a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn
    ]::pg_catalog.oid[])
    from pg_catalog.pg_aggregate a where a.aggfnoid = p.oid
  ) as support
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_language l on l.oid = p.prolang
where (p.proname = any($1::pg_catalog.text[]) and n.nspname <> all(${BUILT_IN}))
  or p.oid = any($2::pg_catalog.oid[])
  or p.oid in (
    select f
    from pg_catalog.pg_operator o
    join pg_catalog.pg_namespace opn on opn.oid = o.oprnamespace,
    pg_catalog.unnest(array[o.oprcode, o.oprrest, o.oprjoin]::pg_catalog.oid[]) f
    where o.oprname = any($4::pg_catalog.text[]) and opn.nspname <> all(${BUILT_IN})
  )
  or p.oid in (
    select t.tgfoid from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid
    where (c.relname = any($5::pg_catalog.text[]) or c.oid = any($6::pg_catalog.oid[]))
      and not t.tgisinternal and t.tgenabled <> 'D'
  )
  or ($7 and p.oid in (select e.evtfoid from pg_catalog.pg_event_trigger e where e.evtenabled <> 'D'))
`;

/** Operators by name outside the built-in schemas, with the functions they run (code, estimators). */
export const OPERATORS_SQL = `
select o.oprname, n.nspname,
  pg_catalog.array_to_json(array[o.oprcode, o.oprrest, o.oprjoin]::pg_catalog.oid[]) as functions
from pg_catalog.pg_operator o
join pg_catalog.pg_namespace n on n.oid = o.oprnamespace
where o.oprname = any($1::pg_catalog.text[]) and n.nspname <> all(${BUILT_IN})
`;

/** Enabled event triggers: they fire on DDL (ddl_command_start/end, sql_drop, table_rewrite). */
export const EVENT_TRIGGERS_SQL = `
select e.evtname, e.evtfoid from pg_catalog.pg_event_trigger e where e.evtenabled <> 'D'
`;

/**
 * Tables, views, materialized views and foreign tables by name (`$1`) or
 * OID (`$2`) outside the built-in schemas, each with what reading or
 * writing it runs, as JSON:
 *
 * - a view's or materialized view's query (`pg_get_viewdef`);
 * - enabled triggers that are not internal (RI triggers are: their effect,
 *   the referencing tables' writes, is `referenced_by`), with their events
 *   (`tgtype`), function and WHEN condition;
 * - enabled rules other than a view's `_RETURN` (`ev_type` 1), by event;
 * - column defaults and generated columns (`pg_attrdef`), check
 *   constraints, and the checks and defaults of the domains of its columns
 *   (through domains over domains);
 * - row-security policies when row security is on (`relrowsecurity`);
 * - index expressions and partial-index predicates (computed on writes);
 * - foreign keys referencing it, with their ON DELETE / ON UPDATE actions
 *   (`c` cascade, `n` set null, `d` set default write the referencing table);
 * - every descendant (partitions, inheritance children), which writes and
 *   reads through it reach.
 */
export const RELATIONS_SQL = `
select c.oid, n.nspname, c.relname, c.relkind,
  case when c.relkind in ('v', 'm') then pg_catalog.left(pg_catalog.pg_get_viewdef(c.oid), $3) end as view,
  (
    select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', t.tgname, 'type', t.tgtype, 'function', t.tgfoid,
      'when', case when t.tgqual is not null then pg_catalog.left(pg_catalog.pg_get_triggerdef(t.oid), $3) end
    ))
    from pg_catalog.pg_trigger t
    where t.tgrelid = c.oid and not t.tgisinternal and t.tgenabled <> 'D'
  ) as triggers,
  (
    select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', r.rulename, 'event', r.ev_type, 'definition', pg_catalog.left(pg_catalog.pg_get_ruledef(r.oid), $3)
    ))
    from pg_catalog.pg_rewrite r
    where r.ev_class = c.oid and r.ev_type <> '1' and r.ev_enabled <> 'D'
  ) as rules,
  (
    select pg_catalog.json_agg(e) from (
      select pg_catalog.left(pg_catalog.pg_get_expr(d.adbin, d.adrelid), $3) as e
      from pg_catalog.pg_attrdef d where d.adrelid = c.oid
      union all
      select pg_catalog.left(pg_catalog.pg_get_expr(k.conbin, k.conrelid), $3)
      from pg_catalog.pg_constraint k where k.conrelid = c.oid and k.contype = 'c'
      union all
      select pg_catalog.left(pg_catalog.pg_get_expr(i.indexprs, i.indrelid), $3)
      from pg_catalog.pg_index i where i.indrelid = c.oid and i.indexprs is not null
      union all
      select pg_catalog.left(pg_catalog.pg_get_expr(i.indpred, i.indrelid), $3)
      from pg_catalog.pg_index i where i.indrelid = c.oid and i.indpred is not null
    ) computed
  ) as computed,
  (
    with recursive domains(type) as (
      select a.atttypid from pg_catalog.pg_attribute a
      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      union
      select y.typbasetype from domains join pg_catalog.pg_type y on y.oid = domains.type
      where y.typtype = 'd'
    )
    select pg_catalog.json_agg(e) from (
      select pg_catalog.left(pg_catalog.pg_get_expr(k.conbin, 0), $3) as e
      from pg_catalog.pg_constraint k
      join pg_catalog.pg_type y on y.oid = k.contypid
      join pg_catalog.pg_namespace yn on yn.oid = y.typnamespace
      where k.contypid in (select type from domains) and k.contype = 'c' and yn.nspname <> all(${BUILT_IN})
      union all
      select pg_catalog.left(pg_catalog.pg_get_expr(y.typdefaultbin, 0), $3)
      from pg_catalog.pg_type y
      join pg_catalog.pg_namespace yn on yn.oid = y.typnamespace
      where y.oid in (select type from domains) and y.typtype = 'd' and y.typdefaultbin is not null
        and yn.nspname <> all(${BUILT_IN})
    ) checks
  ) as domains,
  case when c.relrowsecurity then (
    select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', p.polname, 'command', p.polcmd,
      'using', pg_catalog.left(pg_catalog.pg_get_expr(p.polqual, p.polrelid), $3),
      'check', pg_catalog.left(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), $3)
    ))
    from pg_catalog.pg_policy p where p.polrelid = c.oid
  ) end as policies,
  (
    select pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', k.conrelid, 'schema', kn.nspname, 'name', kc.relname,
      'delete', k.confdeltype, 'update', k.confupdtype
    ))
    from pg_catalog.pg_constraint k
    join pg_catalog.pg_class kc on kc.oid = k.conrelid
    join pg_catalog.pg_namespace kn on kn.oid = kc.relnamespace
    where k.confrelid = c.oid and k.contype = 'f'
  ) as referenced_by,
  (
    with recursive tree(oid) as (
      select i.inhrelid from pg_catalog.pg_inherits i where i.inhparent = c.oid
      union
      select i.inhrelid from pg_catalog.pg_inherits i join tree on i.inhparent = tree.oid
    )
    select pg_catalog.json_agg(pg_catalog.json_build_object('oid', dc.oid, 'schema', dn.nspname, 'name', dc.relname))
    from tree
    join pg_catalog.pg_class dc on dc.oid = tree.oid
    join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
  ) as descendants
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where (c.relname = any($1::pg_catalog.text[]) or c.oid = any($2::pg_catalog.oid[]))
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and n.nspname <> all(${BUILT_IN})
`;

/** A text[] parameter in PostgreSQL's array input syntax, every element quoted. */
export function textArray(values: Iterable<string>): string {
  const items: string[] = [];
  for (const value of values) items.push(`"${value.replace(/["\\]/g, '\\$&')}"`);
  return `{${items.join(',')}}`;
}
