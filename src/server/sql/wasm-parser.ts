import { createRequire } from 'node:module';

/**
 * One instance of PostgreSQL's parser compiled to WebAssembly, from
 * `@libpg-query/parser` (libpg_query on the PostgreSQL 17 grammar).
 *
 * The package's own wrapper keeps a single module-wide instance and parses
 * PL/pgSQL results with `JSON.parse` even when they are error messages. This
 * binding calls the same exported C functions (the package's
 * `wasm_wrapper.c`: `wasm_parse_query_raw` over libpg_query's
 * `pg_query_parse`, `wasm_parse_plpgsql` over `pg_query_parse_plpgsql`) on an
 * instance of its own, so that `parser.ts` can throw an instance away: a
 * statement that exhausts the stack inside WebAssembly traps half-way through
 * the C code, leaving its stack pointer, allocator and memory contexts
 * inconsistent, and that instance must not parse anything again.
 *
 * The version is pinned exactly in package.json: the struct offsets below are
 * libpg_query's `PgQueryParseResult` and `PgQueryError` (pg_query.h).
 */

/** The members of the Emscripten module this binding uses; the parser boundary, narrowed in `load`. */
interface PgQueryModule {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(input: number): number;
  _wasm_free_parse_result(result: number): void;
  _wasm_parse_plpgsql(input: number): number;
  _wasm_free_string(text: number): void;
  getValue(pointer: number, type: 'i32'): number;
  UTF8ToString(pointer: number): string;
  stringToUTF8(text: string, pointer: number, maxBytes: number): void;
  lengthBytesUTF8(text: string): number;
}

const MEMBERS = [
  '_malloc',
  '_free',
  '_wasm_parse_query_raw',
  '_wasm_free_parse_result',
  '_wasm_parse_plpgsql',
  '_wasm_free_string',
  'getValue',
  'UTF8ToString',
  'stringToUTF8',
  'lengthBytesUTF8',
] as const;

/** What one call returns: the parser's JSON text, or its error. */
export type WasmResult =
  | { ok: true; json: string }
  | {
      ok: false;
      message: string;
      /** 1-based character position of the error, as PostgreSQL's `P` field; absent when unknown. */
      cursor?: number;
    };

/** `wasm_parse_plpgsql` returns this JSON on success and a bare error message otherwise. */
const PLPGSQL_JSON_PREFIX = '{"plpgsql_funcs":';

export class WasmParser {
  private constructor(private readonly module: PgQueryModule) {}

  /** Instantiates a fresh module (about 20 ms; each instance reserves its own linear memory). */
  static async load(): Promise<WasmParser> {
    const require = createRequire(import.meta.url);
    const factory: unknown = require('@libpg-query/parser/wasm/libpg-query.js');
    if (typeof factory !== 'function') {
      throw new TypeError('@libpg-query/parser: wasm/libpg-query.js exports no module factory');
    }
    const module: unknown = await (factory as () => Promise<unknown>)();
    if (typeof module !== 'object' || module === null) {
      throw new TypeError('@libpg-query/parser: the module factory returned no module');
    }
    const missing = MEMBERS.filter(
      (name) => typeof (module as Record<string, unknown>)[name] !== 'function',
    );
    if (missing.length > 0) {
      throw new TypeError(`@libpg-query/parser: the module lacks ${missing.join(', ')}`);
    }
    return new WasmParser(module as PgQueryModule);
  }

  /** Raw parse of a query string (`pg_query_parse`): the `ParseResult` JSON or the syntax error. */
  parse(sql: string): WasmResult {
    const m = this.module;
    return this.withString(sql, (input) => {
      const result = m._wasm_parse_query_raw(input);
      if (result === 0) return { ok: false, message: 'the SQL parser could not allocate memory' };
      try {
        // PgQueryParseResult: { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
        const tree = m.getValue(result, 'i32');
        const error = m.getValue(result + 8, 'i32');
        if (error !== 0) {
          // PgQueryError: { char *message; char *funcname; char *filename; int lineno; int cursorpos; … }
          const message = m.getValue(error, 'i32');
          const cursor = m.getValue(error + 16, 'i32');
          return {
            ok: false,
            message: message === 0 ? 'the SQL parser failed' : m.UTF8ToString(message),
            ...(cursor > 0 ? { cursor } : {}),
          };
        }
        if (tree === 0) return { ok: false, message: 'the SQL parser returned no tree' };
        return { ok: true, json: m.UTF8ToString(tree) };
      } finally {
        m._wasm_free_parse_result(result);
      }
    });
  }

  /**
   * Compiles the PL/pgSQL of every `CREATE FUNCTION … LANGUAGE plpgsql` and
   * `DO` in `sql` (`pg_query_parse_plpgsql`, which runs PostgreSQL's own
   * PL/pgSQL grammar, pl_gram.y): `{"plpgsql_funcs": [...]}` or the error.
   */
  plpgsql(sql: string): WasmResult {
    const m = this.module;
    return this.withString(sql, (input) => {
      const result = m._wasm_parse_plpgsql(input);
      if (result === 0) return { ok: false, message: 'the PL/pgSQL parser returned nothing' };
      try {
        const text = m.UTF8ToString(result);
        return text.startsWith(PLPGSQL_JSON_PREFIX)
          ? { ok: true, json: text }
          : { ok: false, message: text };
      } finally {
        m._wasm_free_string(result);
      }
    });
  }

  /** Copies `text` into the module's memory as a NUL-terminated UTF-8 string for the call. */
  private withString(text: string, call: (pointer: number) => WasmResult): WasmResult {
    const m = this.module;
    const size = m.lengthBytesUTF8(text) + 1;
    const pointer = m._malloc(size);
    if (pointer === 0) return { ok: false, message: 'the SQL parser could not allocate memory' };
    try {
      m.stringToUTF8(text, pointer, size);
      return call(pointer);
    } finally {
      m._free(pointer);
    }
  }
}
