import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { fileErrorReason } from '../../lib/file-error.js';
import type { KeyPath, Problem } from './locate.js';

/**
 * Keys whose value is a credential. DESIGN.md: secrets come from the
 * environment or from files, never from `hoop.yaml` itself, so a literal value
 * under one of these keys is refused. Add `privateKey`, `clientSecret`, … here
 * as those settings arrive.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'secret',
  'signingKey',
  'privateKey',
  'hostPrivateKey',
]);

/** Sections whose strings are resolved but whose keys are not ours to police. */
const FREE_FORM_SECTIONS: ReadonlySet<PropertyKey> = new Set(['policy']);

export interface SecretSource {
  /** Directory that `${file:PATH}` is relative to: the config file's. */
  dir: string;
  env: NodeJS.ProcessEnv;
}

export interface ResolvedTree {
  value: unknown;
  problems: Problem[];
}

/** A value that is exactly one reference, with no literal text around it. */
const SINGLE_REFERENCE = /^\$\{(?:env|file):[^}]+\}$/;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string value of a parsed
 * config and checks that secret keys hold references, not literals. `$${`
 * stands for a literal `${`. A value that cannot be resolved is left as
 * written, with a problem at its key path.
 *
 * Problems name variables and files, never what they resolved to.
 */
export function resolveSecrets(tree: unknown, source: SecretSource): ResolvedTree {
  const problems: Problem[] = [];

  const walk = (value: unknown, path: KeyPath): unknown => {
    if (typeof value === 'string') return interpolate(value, path, source, problems);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const itemPath = [...path, key];
        const literal = literalSecret(item, itemPath, value);
        if (literal !== undefined) {
          problems.push(literal);
          out[key] = item;
        } else {
          out[key] = walk(item, itemPath);
        }
      }
      return out;
    }
    return value;
  };

  return { value: walk(tree, []), problems };
}

function interpolate(
  text: string,
  path: KeyPath,
  source: SecretSource,
  problems: Problem[],
): string {
  if (!text.includes('${')) return text;
  let out = '';
  let failed = false;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const end = text.indexOf('}', i);
    const reference = end < 0 ? text.slice(i) : text.slice(i, end + 1);
    const result = end < 0 ? undefined : lookUp(text.slice(i + 2, end), source);
    if (result === undefined) {
      problems.push({
        path,
        message: `${JSON.stringify(reference)} is not a reference: write \${env:NAME} or \${file:PATH}, or $\${ for a literal \${`,
      });
      failed = true;
    } else if ('missing' in result) {
      problems.push({ path, message: result.missing, secret: true });
      failed = true;
    } else {
      out += result.value;
    }
    i = end < 0 ? text.length : end + 1;
  }
  return failed ? text : out;
}

/** Resolves the inside of `${…}`; `undefined` when it is not a reference at all. */
function lookUp(
  body: string,
  source: SecretSource,
): { value: string } | { missing: string } | undefined {
  if (body.startsWith('env:')) {
    const name = body.slice(4);
    if (!ENV_NAME.test(name)) return undefined;
    const value = source.env[name];
    return value === undefined
      ? { missing: `environment variable ${name} is not set (referenced as \${env:${name}})` }
      : { value };
  }
  if (body.startsWith('file:')) {
    const given = body.slice(5);
    if (given === '') return undefined;
    const file = resolve(source.dir, given);
    try {
      // A trailing newline is what editors and `echo` leave; it is never part of the secret.
      return { value: readFileSync(file, 'utf8').replace(/\r?\n$/, '') };
    } catch (error) {
      return { missing: `secret file ${file} cannot be read: ${fileErrorReason(error)}` };
    }
  }
  return undefined;
}

/**
 * The problem with a secret key holding a literal value, if it does. The
 * message never repeats the value and suggests a variable name built from the
 * entry's `name` (`pg-prod` + `password` → `PG_PROD_PASSWORD`).
 */
function literalSecret(value: unknown, path: KeyPath, parent: object): Problem | undefined {
  const key = path[path.length - 1];
  if (typeof key !== 'string' || FREE_FORM_SECTIONS.has(path[0] ?? '')) return undefined;

  if (path.length === 1 && key === 'store' && typeof value === 'string') {
    if (value.includes('${') || !/^postgres(?:ql)?:\/\//.test(value)) return undefined;
    if (!URL.canParse(value) || new URL(value).password === '') return undefined;
    return {
      path,
      message:
        'the store URL must not hold a literal password: write it as ' +
        'postgres://USER:${env:HOOP_STORE_PASSWORD}@HOST/DB',
    };
  }

  if (!SECRET_KEYS.has(key)) return undefined;
  if (typeof value === 'string' && SINGLE_REFERENCE.test(value)) return undefined;
  const name = (parent as Record<string, unknown>).name;
  const variable = envName(typeof name === 'string' ? [name, key] : ['hoop', ...path]);
  const advice =
    `use ${key}: \${env:${variable}} or ${key}: \${file:PATH} ` + '(a path relative to this file)';
  return {
    path,
    message:
      typeof value === 'string' && value !== ''
        ? `a secret must not be written in the file; ${advice}`
        : `expected a reference to a secret; ${advice}`,
  };
}

/** `['pg-prod', 'password']` → `PG_PROD_PASSWORD`; list indexes are dropped. */
function envName(parts: readonly PropertyKey[]): string {
  return parts
    .filter((part): part is string => typeof part === 'string')
    .map((part) =>
      part
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .toUpperCase(),
    )
    .join('_')
    .replace(/^_+|_+$/g, '');
}
