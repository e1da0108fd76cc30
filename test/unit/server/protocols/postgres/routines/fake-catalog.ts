import type {
  CatalogRows,
  CatalogStatement,
} from '../../../../../../src/server/protocols/postgres/catalog.js';
import type { CatalogQueries } from '../../../../../../src/server/protocols/postgres/routines/index.js';

/**
 * A catalog in memory that answers the resolver's statements (by their
 * prepared names) with rows in the columns of `queries.ts`, and counts the
 * round trips. For what needs no server: batching, caching, cycles, limits;
 * what the queries select is tested against PostgreSQL
 * (`test/integration/postgres-routines.test.ts`).
 */
export interface FakeFunction {
  oid: number;
  schema?: string;
  name: string;
  language?: string;
  /** A SQL body (`prosrc`), or the definition for PL/pgSQL. */
  body?: string;
  atomic?: boolean;
  kind?: 'f' | 'p' | 'a';
  securityDefiner?: boolean;
  extension?: boolean;
  config?: string[];
  support?: number[];
}

export interface FakeRelation {
  oid: number;
  schema?: string;
  name: string;
  kind?: string;
  view?: string;
  triggers?: { name: string; type: number; function: number; when?: string }[];
  computed?: string[];
}

export class FakeCatalog implements CatalogQueries {
  readonly functions: FakeFunction[] = [];
  readonly relations: FakeRelation[] = [];
  /** Each call's prepared statement names, in order. */
  readonly calls: string[][] = [];
  failure: Error | undefined;

  query(statements: readonly CatalogStatement[]): Promise<CatalogRows[]> {
    this.calls.push(statements.map((s) => s.name ?? ''));
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve(statements.map((statement) => this.answer(statement)));
  }

  private answer({ name, params = [] }: CatalogStatement): CatalogRows {
    switch (name) {
      case 'hoop_routines_functions': {
        const names = array(params[0]);
        const oids = array(params[1]).map(Number);
        return this.functions
          .filter((f) => names.includes(f.name) || oids.includes(f.oid))
          .map((f) => [
            String(f.oid),
            f.schema ?? 'public',
            f.name,
            f.kind ?? 'f',
            f.language ?? 'sql',
            f.securityDefiner ? 't' : 'f',
            f.extension ? 't' : 'f',
            f.config ? JSON.stringify(f.config) : null,
            f.atomic ? 't' : 'f',
            f.body ?? null,
            null,
            f.support ? JSON.stringify(f.support) : null,
          ]);
      }
      case 'hoop_routines_relations': {
        const names = array(params[0]);
        const oids = array(params[1]).map(Number);
        return this.relations
          .filter((r) => names.includes(r.name) || oids.includes(r.oid))
          .map((r) => [
            String(r.oid),
            r.schema ?? 'public',
            r.name,
            r.kind ?? 'r',
            r.view ?? null,
            r.triggers ? JSON.stringify(r.triggers) : null,
            null,
            r.computed ? JSON.stringify(r.computed) : null,
            null,
            null,
            null,
            null,
          ]);
      }
      default:
        return [];
    }
  }
}

/** Reads the resolver's `{"a","b"}` text-array parameters back. */
function array(param: string | null | undefined): string[] {
  if (!param || param === '{}') return [];
  return [...param.slice(1, -1).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1'),
  );
}
