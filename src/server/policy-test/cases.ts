import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

import { CONNECTION_TYPES, type ConnectionType } from '../../lib/connection-types.js';
import { HoopError } from '../../lib/errors.js';
import { apiKeySubject, parsePrincipal, type AuthMethod } from '../../lib/principal.js';
import { fallbackMessage, toProblems, unlessReported } from '../config/issues.js';
import { formatLocated, Locator, type Problem } from '../config/locate.js';
import { syntaxProblems, toPlain } from '../config/syntax.js';

/*
 * The table of cases `hoop policy test` runs, kept beside the policy
 * (`policy.test.yaml` next to `policy.yaml`):
 *
 *   connections: { pg-prod: postgres }      # types, when --config is not given
 *   cases:
 *     - name: engineers read orders
 *       as: alice                            # or apiKey: agent-1 (an agent)
 *       groups: [engineering]
 *       connection: pg-prod
 *       sql: select * from orders            # or open: true
 *       expect: { effect: allow, rule: engineers, masks: [pii], masked: [customers.email] }
 */

const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, `expected ${what}`);

const names = (what: string) => z.array(text(what), { error: `expected a list of ${what}s` });

const expectSchema = z.strictObject({
  effect: z.enum(['allow', 'deny', 'review']),
  /** The deciding rule; `null` for the default deny (no rule allowed it). */
  rule: text('a rule name').nullable().optional(),
  /** The mask rules that apply, exactly (as a set). */
  masks: names('mask rule name').optional(),
  /** Columns (`table.column`, `schema.table.column`) an applying mask names. */
  masked: names('column').optional(),
  /** Columns no applying mask names. */
  unmasked: names('column').optional(),
});

const caseSchema = z
  .strictObject({
    name: text('a case name'),
    as: text('a user (subject or name)')
      .refine((value) => parsePrincipal(value)?.method !== 'apikey', {
        error: 'an API key is named with `apiKey: <name>`, not `as`',
      })
      .optional(),
    email: text('an email').optional(),
    apiKey: text('an API key name').optional(),
    groups: names('group').default([]),
    agent: z.boolean({ error: 'expected true or false' }).optional(),
    actors: names('actor').optional(),
    connection: text('a connection name'),
    type: z.enum(CONNECTION_TYPES).optional(),
    sql: text('SQL').optional(),
    open: z.literal(true, { error: 'expected true (opening a session)' }).optional(),
    at: z
      .string({ error: 'expected a time such as 2026-01-05T23:30:00+01:00' })
      .refine((value) => !Number.isNaN(Date.parse(value)), {
        error: 'expected a time such as 2026-01-05T23:30:00+01:00',
      })
      .optional(),
    expect: expectSchema,
  })
  .superRefine((value, ctx) => {
    if ((value.as === undefined) === (value.apiKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['as'], message: 'expected either `as` or `apiKey`' });
    }
    if ((value.sql === undefined) === (value.open === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sql'],
        message: 'expected either `sql` or `open: true`',
      });
    }
  });

const casesFileSchema = z.strictObject({
  connections: z.record(z.string(), z.enum(CONNECTION_TYPES)).optional(),
  cases: z.array(caseSchema, { error: 'expected a list of cases' }).min(1, {
    error: 'expected at least one case',
  }),
});

type RawCase = z.output<typeof caseSchema>;

/** One case, validated, with its line in the file. */
export interface PolicyCase {
  name: string;
  line: number;
  identity: {
    method: AuthMethod;
    subject: string;
    name: string;
    groups: string[];
    kind: 'user' | 'agent';
    actors?: string[];
    email?: string;
  };
  connection: { name: string; type?: ConnectionType };
  /** The SQL string to decide, or absent for opening a session. */
  sql?: string;
  at?: Date;
  expect: z.output<typeof expectSchema>;
}

export interface PolicyCases {
  file: string;
  /** Connection types the file names (`connections:`). */
  connections: Record<string, ConnectionType>;
  cases: PolicyCase[];
}

const TOP_LEVEL = '`cases:` with a list of cases';

/**
 * Parses a cases file.
 *
 * @throws HoopError `HOOP_POLICY_CASES_INVALID` listing every problem as
 *   `file:line:column: key: what is wrong`, with the list in `details.problems`.
 */
export function parseCases(source: string, file: string): PolicyCases {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locator = new Locator(doc, lineCounter);
  function fail(problems: Problem[]): never {
    const { problems: located, text } = formatLocated(
      file,
      problems.map((problem) => locator.locate(problem)),
    );
    throw new HoopError('HOOP_POLICY_CASES_INVALID', text, {
      details: {
        file,
        problems: located.map(({ line, column, key, message }) => ({ line, column, key, message })),
      },
    });
  }

  const syntax = syntaxProblems(doc, source, lineCounter, TOP_LEVEL);
  if (syntax.length > 0) fail(syntax);
  const plain = toPlain(doc);
  if ('problems' in plain) fail(plain.problems);
  const result = casesFileSchema.safeParse(plain.value, { error: fallbackMessage });
  const invalid = result.success
    ? []
    : toProblems(result.error.issues, casesFileSchema, plain.value, plain.value);
  const problems = invalid.filter((problem) => problem.unknownKey === true);
  problems.push(...unlessReported(problems, invalid));
  if (result.success) problems.push(...duplicateNames(result.data.cases));
  if (problems.length > 0 || !result.success) fail(problems);

  return {
    file,
    connections: result.data.connections ?? {},
    cases: result.data.cases.map((raw, index) => toCase(raw, locator.line(['cases', index]))),
  };
}

function duplicateNames(cases: readonly RawCase[]): Problem[] {
  const seen = new Map<string, number>();
  const problems: Problem[] = [];
  cases.forEach((item, index) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, index);
    else {
      problems.push({
        path: ['cases', index, 'name'],
        message: `duplicate case name ${JSON.stringify(item.name)}, already used by cases[${first}]`,
      });
    }
  });
  return problems;
}

function toCase(raw: RawCase, line: number): PolicyCase {
  const agent = raw.apiKey !== undefined || raw.agent === true;
  // `as` is a provider identity, by its sub or as oidc:<sub>; `apiKey` an API key.
  const person = raw.as === undefined ? '' : (parsePrincipal(raw.as)?.subject ?? raw.as);
  return {
    name: raw.name,
    line,
    identity: {
      method: raw.apiKey === undefined ? 'oidc' : 'apikey',
      subject: raw.apiKey === undefined ? person : apiKeySubject(raw.apiKey),
      name: raw.apiKey ?? person,
      groups: raw.groups,
      kind: agent ? 'agent' : 'user',
      ...(raw.actors === undefined ? {} : { actors: raw.actors }),
      ...(raw.email === undefined ? {} : { email: raw.email }),
    },
    connection: { name: raw.connection, ...(raw.type === undefined ? {} : { type: raw.type }) },
    ...(raw.sql === undefined ? {} : { sql: raw.sql }),
    ...(raw.at === undefined ? {} : { at: new Date(raw.at) }),
    expect: raw.expect,
  };
}
