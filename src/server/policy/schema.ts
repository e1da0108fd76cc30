import { z } from 'zod';

import { CONNECTION_TYPES } from '../../lib/connection-types.js';
import { parseDuration } from '../../lib/duration.js';
import { parsePrincipal } from '../../lib/principal.js';
import { NAME_PATTERN } from '../config/schema.js';
import { COLUMN_USES } from '../enforcement/index.js';
import { compileCondition } from './condition.js';
import { DAYS, isTimeZone, parseClock, windowProblem } from './time-window.js';
import { closest } from '../config/suggest.js';
import {
  DETECTORS,
  FUNCTION_GROUP_NAMES,
  isFunctionGroup,
  isGroupSelector,
  STATEMENT_KINDS,
} from './vocabulary.js';

/*
 * The shape of a policy (DESIGN.md, "Policy as code"). Objects are strict, so
 * a misspelt key is an error rather than a rule that silently matches more
 * than intended. The output is the policy's canonical form: plain data with
 * defaults applied, which is what the policy hash covers.
 */

function text(what: string) {
  const error = `expected ${what}`;
  return z.string({ error }).min(1, { error });
}

function list<T extends z.ZodType>(item: T, what: string) {
  const error = `expected a list of ${what}`;
  return z.array(item, { error }).min(1, { error: `expected a non-empty list of ${what}` });
}

/**
 * A `users` entry: an API key's principal `apikey:<name>` (a configured
 * name), a provider identity's `oidc:<sub>`, or a provider subject, name or
 * email (src/lib/principal.ts).
 */
const userSelector = text(
  'a user (apikey:<name>, oidc:<sub>, or a subject, name or email)',
).superRefine((value, context) => {
  const principal = parsePrincipal(value);
  if (principal === undefined) return;
  const rest = value.slice(value.indexOf(':') + 1);
  if (principal.method === 'apikey' && !NAME_PATTERN.test(rest)) {
    context.addIssue({
      code: 'custom',
      message: `expected apikey: followed by an API key name as configured in auth.apiKeys, got ${JSON.stringify(value)}`,
    });
  } else if (rest === '') {
    context.addIssue({ code: 'custom', message: 'expected oidc: followed by a subject' });
  }
});

/** An actor of a delegation chain: always a provider identity, by `sub` or `oidc:<sub>`. */
const actorSelector = text('an actor subject').superRefine((value, context) => {
  const principal = parsePrincipal(value);
  if (principal?.method === 'apikey') {
    context.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is an API key, and API keys never act for anyone: actors are an identity provider's subjects (or oidc:<sub>)`,
    });
  } else if (principal !== undefined && principal.subject === '') {
    context.addIssue({ code: 'custom', message: 'expected oidc: followed by a subject' });
  }
});

/** Connection names with `*` as a wildcard: `pg-*`, `*`. */
export const CONNECTION_GLOB = /^[a-z0-9._*-]+$/i;

/** `table`, `schema.table` or `catalog.schema.table`, `*` as a wildcard within one part. */
/** A command glob whose program has no directory, or a channel name. */
const COMMAND_SELECTOR = /^(?:@(?:shell|sftp|forward|agent)|[^\s/@][^\s/]*(?: .*)?)$/;

const TABLE_SELECTOR = /^[^.\s]+(\.[^.\s]+){0,2}$/;

/** `function` or `schema.function`, or `@group`. */
const FUNCTION_SELECTOR = /^[^.\s]+(\.[^.\s]+)?$/;

/** A function selector, or a function group the classifier knows (with a suggestion when not). */
const functionSelector = z
  .string({ error: 'expected a function' })
  .regex(FUNCTION_SELECTOR, {
    error: 'expected a function as name or schema.name, with * as a wildcard, or a @group',
  })
  .superRefine((value, context) => {
    if (!isGroupSelector(value) || isFunctionGroup(value)) return;
    const guess = closest(value, FUNCTION_GROUP_NAMES);
    context.addIssue({
      code: 'custom',
      message:
        `unknown function group ${JSON.stringify(value)}; ` +
        (guess !== undefined
          ? `did you mean \`${guess}\`?`
          : `expected one of ${FUNCTION_GROUP_NAMES.join(', ')}`),
    });
  })
  .meta({
    description:
      'A function as name or schema.name, * as a wildcard, or a function group: ' +
      `${FUNCTION_GROUP_NAMES.join(', ')}.`,
    examples: ['pg_read_file', 'public.*', '@server-files'],
  });

const connection = z.string({ error: 'expected a connection name' }).regex(CONNECTION_GLOB, {
  error: 'expected a connection name of letters, digits, ".", "_", "-" and "*" as a wildcard',
});

const CLOCK_ERROR = 'expected a time of day as HH:MM, 00:00 to 23:59';
/** For editors; `parseClock` decides. */
const CLOCK_PATTERN = '^([01][0-9]|2[0-4]):[0-5][0-9]$';

const timeWindow = z
  .strictObject({
    days: list(z.enum(DAYS), 'days (mon, tue, wed, thu, fri, sat, sun)')
      .meta({ description: 'The days a window starts on; every day when absent.' })
      .optional(),
    from: z
      .string({ error: CLOCK_ERROR })
      .refine((value) => parseClock(value) !== undefined, { error: CLOCK_ERROR })
      .meta({ description: 'HH:MM, inclusive; 00:00 when absent.', pattern: CLOCK_PATTERN })
      .optional(),
    to: z
      .string({ error: `${CLOCK_ERROR}, or 24:00` })
      .refine((value) => parseClock(value, true) !== undefined, {
        error: `${CLOCK_ERROR}, or 24:00`,
      })
      .meta({
        description:
          'HH:MM, exclusive; 24:00 when absent. Not after `from`: the window crosses midnight.',
        pattern: CLOCK_PATTERN,
      })
      .optional(),
    timezone: z
      .string({ error: 'expected an IANA time zone such as Europe/Berlin' })
      .refine((value) => isTimeZone(value), {
        error: 'expected an IANA time zone such as Europe/Berlin or UTC',
      })
      .meta({ description: 'An IANA time zone (Europe/Berlin); UTC when absent.' })
      .optional(),
  })
  .superRefine((value, context) => {
    const problem = windowProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, path: ['to'] });
  })
  .meta({ id: 'timeWindow', description: 'A window of wall-clock time in a time zone.' });

const match = z
  .strictObject({
    connections: list(connection, 'connection names').optional(),
    types: list(z.enum(CONNECTION_TYPES), 'connection types').optional(),
    groups: list(text('a group name'), 'group names').optional(),
    users: list(userSelector, 'users')
      .meta({
        description:
          'apikey:<name> names an API key, oidc:<sub> one provider identity; anything else matches ' +
          "a provider identity's subject, name or email, never an API key.",
      })
      .optional(),
    apiKeys: list(
      z.string({ error: 'expected an API key name' }).regex(NAME_PATTERN, {
        error: 'expected an API key name as configured in auth.apiKeys',
      }),
      'API key names',
    ).optional(),
    agents: z.boolean({ error: 'expected true or false' }).optional(),
    actors: list(actorSelector, 'actor subjects')
      .meta({
        description:
          'The delegation chain (RFC 8693 act) names one of these subjects, at any depth.',
      })
      .optional(),
    delegated: z
      .boolean({ error: 'expected true or false' })
      .meta({ description: 'true: only when someone acts for the caller; false: only when not.' })
      .optional(),
    time: z
      .union([timeWindow, list(timeWindow, 'time windows')], {
        error: 'expected a time window (days, from, to, timezone) or a list of them',
      })
      .meta({ description: 'When: a time window, or a list of them any of which may match.' })
      .optional(),
    statements: list(z.enum(STATEMENT_KINDS), 'statement kinds').optional(),
    tables: list(
      z.string({ error: 'expected a table' }).regex(TABLE_SELECTOR, {
        error: 'expected a table as table or schema.table, with * as a wildcard',
      }),
      'tables',
    ).optional(),
    functions: list(functionSelector, 'functions').optional(),
    commands: list(
      z
        .string({ error: 'expected a command such as "rm *" or a channel such as @shell' })
        .regex(COMMAND_SELECTOR, {
          error:
            'expected a command such as "rm *" (the program without its directory) or one of @shell, @sftp, @forward, @agent',
        }),
      'commands',
    )
      .meta({
        description:
          'SSH: globs over each simple command of a parsed line (program without its directory, then its arguments), or channels @shell, @sftp, @forward, @agent.',
      })
      .optional(),
  })
  .meta({
    id: 'match',
    description: 'Who, where, what and when the rule applies to: every key present must match.',
  });

const review = z
  .strictObject({
    approvers: list(text('a group name'), 'approver groups'),
    approvals: z
      .number({ error: 'expected a whole number of approvals, at least 1' })
      .int({ error: 'expected a whole number of approvals, at least 1' })
      .min(1, { error: 'expected a whole number of approvals, at least 1' })
      .default(1),
    timeout: z
      .string({ error: 'expected a duration such as 5m' })
      .refine((value) => isDuration(value), { error: 'expected a duration such as 5m' })
      .optional(),
  })
  .meta({
    id: 'review',
    description: 'Who must approve, how many, and how long the request may wait.',
  });

function isDuration(value: string): boolean {
  try {
    return parseDuration(value) > 0;
  } catch {
    return false;
  }
}

const COLUMN_SELECTOR = /^[^.\s]+(\.[^.\s]+){0,2}$/;

const mask = z
  .strictObject({
    columns: z
      .array(
        z.string({ error: 'expected a column' }).regex(COLUMN_SELECTOR, {
          error: 'expected a column as table.column or column, with * as a wildcard',
        }),
        { error: 'expected a list of columns' },
      )
      .default([]),
    detectors: z.array(z.enum(DETECTORS), { error: 'expected a list of detectors' }).default([]),
    hashAllowed: z.boolean({ error: 'expected true or false' }).optional(),
    allow: z
      .array(z.enum(COLUMN_USES, { error: `expected one of ${COLUMN_USES.join(', ')}` }), {
        error: 'expected a list of uses',
      })
      .optional()
      .meta({
        description:
          'Uses of the masked columns other than output this rule allows: write (copy the value ' +
          'elsewhere), predicate (conditions other than equality with a constant), order ' +
          '(ORDER BY, GROUP BY, min/max…), alter (rename or alter the column or its table), ' +
          'code (procedural code that reads it). None by default.',
      }),
  })
  .refine((value) => value.columns.length > 0 || value.detectors.length > 0, {
    error: 'expected columns or detectors to mask',
  });

const name = z
  .string({ error: 'expected a rule name' })
  .regex(NAME_PATTERN, { error: 'expected a rule name of letters, digits, ".", "_" and "-"' })
  .meta({
    id: 'ruleName',
    description: 'Unique without case; named in audit events and refusals.',
  });

const message = text('a message for the caller');

/** A CEL expression, compiled here so that one that cannot run refuses the policy. */
const when = z
  .string({ error: 'expected a CEL condition' })
  .superRefine((value, context) => {
    const compiled = compileCondition(value);
    if (!compiled.ok) context.addIssue({ code: 'custom', message: compiled.message });
  })
  .meta({
    id: 'condition',
    description:
      'A CEL expression over identity, connection, action and time that must also be true. ' +
      'One that fails at run time makes the rule refuse the request.',
  });

/** One rule; which keys it may have besides `name` and `match` depends on its effect. */
export const ruleSchema = z.discriminatedUnion(
  'effect',
  [
    z.strictObject({ name, match, when: when.optional(), effect: z.literal('allow') }),
    z.strictObject({
      name,
      match,
      when: when.optional(),
      effect: z.literal('deny'),
      message: message.optional(),
    }),
    z.strictObject({
      name,
      match,
      when: when.optional(),
      effect: z.literal('review'),
      message: message.optional(),
      review,
    }),
    z.strictObject({ name, match, when: when.optional(), effect: z.literal('mask'), mask }),
  ],
  { error: 'expected a rule with name, match and effect' },
);

export const rulesSchema = z.array(ruleSchema, { error: 'expected a list of rules' }).min(1, {
  error: 'expected at least one rule',
});

/** A policy file. */
export const policyFileSchema = z.strictObject({ rules: rulesSchema });
