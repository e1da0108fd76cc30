import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';

import { CONNECTION_TYPES, type ConnectionType } from '../../lib/connection-types.js';
import { HoopError } from '../../lib/errors.js';
import { fileErrorReason } from '../../lib/file-error.js';
import { parsePolicy, policyFromRules, type Policy } from '../policy/index.js';
import type { LintContext } from '../policy/lint.js';

/*
 * What the policy commands read: the policy (a file, or the config's), and
 * from the gateway config only what they compare the policy with. The config
 * is read, not validated or resolved: secrets (`${env:…}`) need not be set
 * where policy is checked (a CI job, a laptop).
 */

/** What `--config` says that the policy commands use. */
export interface ConfigFacts {
  file: string;
  connections: { name: string; type: ConnectionType; groups: string[] }[];
  apiKeys: { name: string; groups: string[] }[];
  identityProvider: boolean;
  /** An absolute path, or inline rules. */
  policy?: string | unknown[];
}

export interface PolicySource {
  policy: Policy;
  /** As the user named it, or `<config>: policy` for inline rules. */
  file: string;
  /** The policy file's path; absent for rules inline in the config. */
  path?: string;
  /** Each rule's line in the file; absent for inline rules. */
  lines: (number | undefined)[];
  config?: ConfigFacts;
}

async function readText(path: string, code: 'HOOP_POLICY_INVALID' | 'HOOP_CONFIG_INVALID') {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new HoopError(code, `${path}: cannot read the file: ${fileErrorReason(error)}`, {
      cause: error,
      details: { file: path },
    });
  }
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}

/** Reads the parts of a gateway config the policy commands use. */
export async function readConfigFacts(path: string): Promise<ConfigFacts> {
  const text = await readText(path, 'HOOP_CONFIG_INVALID');
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new HoopError(
      'HOOP_CONFIG_INVALID',
      `${path}: not a YAML mapping (${doc.errors[0]?.message ?? 'empty'})`,
      {
        details: { file: path },
      },
    );
  }
  const raw = record(doc.toJS());
  const auth = record(raw.auth);
  const types: readonly string[] = CONNECTION_TYPES;
  return {
    file: path,
    connections: list(raw.connections)
      .map(record)
      .filter((c) => typeof c.name === 'string' && types.includes(String(c.type)))
      .map((c) => ({
        name: c.name as string,
        type: c.type as ConnectionType,
        groups: strings(c.groups),
      })),
    apiKeys: list(auth.apiKeys)
      .map(record)
      .filter((key) => typeof key.name === 'string')
      .map((key) => ({ name: key.name as string, groups: strings(key.groups) })),
    identityProvider: auth.oidc !== undefined,
    ...(typeof raw.policy === 'string'
      ? { policy: resolve(dirname(path), raw.policy) }
      : Array.isArray(raw.policy)
        ? { policy: raw.policy }
        : {}),
  };
}

/** The line of each rule (`rules[i]`) in a policy file's text. */
function ruleLines(text: string): (number | undefined)[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const rules = isMap(doc.contents) ? doc.contents.get('rules', true) : undefined;
  if (!isSeq(rules)) return [];
  return rules.items.map((item) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  });
}

/**
 * Loads the policy the commands work on: `file`, else the config's `policy`,
 * else `./policy.yaml`.
 *
 * @throws HoopError `HOOP_POLICY_INVALID` (located) or `HOOP_CONFIG_INVALID`.
 */
export async function loadPolicySource(
  file: string | undefined,
  configPath: string | undefined,
): Promise<PolicySource> {
  const config = configPath === undefined ? undefined : await readConfigFacts(configPath);
  const withConfig = config === undefined ? {} : { config };
  if (file === undefined && Array.isArray(config?.policy)) {
    const name = `${config.file}: policy`;
    return {
      policy: policyFromRules(config.policy, { file: name }),
      file: name,
      lines: [],
      ...withConfig,
    };
  }
  const path =
    file ??
    (typeof config?.policy === 'string' ? relative(process.cwd(), config.policy) : 'policy.yaml');
  const text = await readText(path, 'HOOP_POLICY_INVALID');
  return {
    policy: parsePolicy(text, { file: path }),
    file: path,
    path,
    lines: ruleLines(text),
    ...withConfig,
  };
}

/** What lint compares the policy with, from the config (nothing without one). */
export function lintContext(source: PolicySource): LintContext {
  const { config, lines } = source;
  if (config === undefined) return { lines };
  return {
    lines,
    connections: config.connections,
    groups: [
      ...new Set([
        ...config.connections.flatMap((c) => c.groups),
        ...config.apiKeys.flatMap((key) => key.groups),
      ]),
    ],
    apiKeys: config.apiKeys.map((key) => key.name),
    identityProvider: config.identityProvider,
  };
}

/** Connection types by name, from the config. */
export function configuredTypes(source: PolicySource): Map<string, ConnectionType> | undefined {
  return source.config === undefined
    ? undefined
    : new Map(source.config.connections.map((c) => [c.name, c.type]));
}

/** The groups of each API key, by name, from the config (`auth.apiKeys`). */
export function configuredApiKeyGroups(
  source: PolicySource,
): ReadonlyMap<string, string[]> | undefined {
  return source.config === undefined
    ? undefined
    : new Map(source.config.apiKeys.map((key) => [key.name, key.groups]));
}
