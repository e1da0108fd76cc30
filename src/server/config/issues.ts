import { z } from 'zod';

import { describeValue, valueAt, type KeyPath, type Problem } from './locate.js';
import { closest } from './suggest.js';

/** What zod's type names mean to someone editing YAML. */
const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
};

/**
 * The fallback messages for issues that a schema does not word itself
 * (pass as `error` to `safeParse`). Starts with "expected" so that
 * {@link toProblems} adds what the file holds.
 */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type')
    return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_value')
    return `expected one of ${issue.values.map(String).join(', ')}`;
  return undefined;
}

/**
 * Turns zod's issues into problems worded for the file's author.
 *
 * @param raw the config as written, with `${…}` references unresolved: the only
 *   values a message may quote.
 * @param input the config as validated, used to find which keys were allowed
 *   where an unknown one appears.
 */
export function toProblems(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  raw: unknown,
  input: unknown,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.discriminator === undefined) {
      // `a value or a list of them`: report the problems of the option the value has the shape of.
      const branch = shapedBranch(issue.errors);
      if (branch !== undefined) {
        const nested = branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
        problems.push(...toProblems(nested, schema, raw, input));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path, input);
      for (const key of issue.keys) {
        const guess = closest(key, known);
        const advice =
          guess !== undefined
            ? `did you mean \`${guess}\`?`
            : `expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
        problems.push({
          path: [...issue.path, key],
          message: `unknown key, ${advice}`,
          unknownKey: true,
        });
      }
      continue;
    }

    const written = valueAt(raw, issue.path);
    let message = issue.message;
    let options: readonly string[] = [];
    if (issue.code === 'invalid_union' && issue.discriminator !== undefined && 'options' in issue) {
      // A discriminated union whose discriminator (a connection's `type`) matched no variant.
      options = (issue.options ?? []).map(String);
      message = `expected one of ${options.join(', ')}`;
    } else if (issue.code === 'invalid_value') {
      options = issue.values.map(String);
    }

    if (written === undefined) {
      message = `missing, ${message}`;
    } else if (message.startsWith('expected ')) {
      message += `, got ${describeValue(written)}`;
      const guess = typeof written === 'string' ? closest(written, options) : undefined;
      if (guess !== undefined) message += `; did you mean \`${guess}\`?`;
    }
    problems.push({ path: issue.path, message });
  }
  return problems;
}

/** The one option of a union whose problems are not that the value has another shape. */
function shapedBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  const shaped = branches.filter(
    (branch) =>
      !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0),
  );
  return shaped.length === 1 ? shaped[0] : undefined;
}

/** The keys the schema allows for the object at `path`, for "did you mean" and lists. */
export function knownKeys(schema: z.ZodType, path: KeyPath, input: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  let value = input;
  for (let i = 0; ; i++) {
    current = unwrap(current, value);
    if (current === undefined) return [];
    if (i === path.length) break;
    const key = path[i];
    if (current instanceof z.ZodObject) current = current.shape[String(key)] as z.ZodType;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else return [];
    value = valueAt(value, [key as PropertyKey]);
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Sees through wrappers to the schema that decides an object's keys. */
function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else if (current instanceof z.ZodDiscriminatedUnion) {
      return variantFor(current, value);
    } else if (current instanceof z.ZodUnion) {
      // A value or a list of them (`time: {…}` or `time: [{…}]`): the option of the value's shape.
      const options = current.options as readonly z.ZodType[];
      const list = Array.isArray(value);
      current = options.find((option) => option instanceof z.ZodArray === list) ?? options[0];
    } else {
      return current;
    }
  }
}

/** The discriminated union's variant for `value`, or one object with all variants' keys. */
function variantFor(union: z.ZodDiscriminatedUnion, value: unknown): z.ZodType {
  const variants = union.options.filter((o): o is z.ZodObject => o instanceof z.ZodObject);
  const discriminator = union.def.discriminator;
  const chosen = variants.find((variant) => {
    const literal = variant.shape[discriminator];
    return (
      literal instanceof z.ZodLiteral &&
      literal.values.has(valueAt(value, [discriminator]) as never)
    );
  });
  if (chosen !== undefined) return chosen;
  return z.object(Object.assign({}, ...variants.map((variant) => variant.shape)));
}

/** Drops problems at or under a key path that already has one: one message per mistake. */
export function unlessReported(reported: readonly Problem[], candidates: Problem[]): Problem[] {
  const isUnder = (path: KeyPath, prefix: KeyPath) => prefix.every((key, i) => path[i] === key);
  return candidates.filter((c) => !reported.some((r) => r === c || isUnder(c.path, r.path)));
}
