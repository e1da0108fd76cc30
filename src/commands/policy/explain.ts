import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { CONNECTION_TYPES, type ConnectionType } from '../../lib/connection-types.js';
import { HoopError } from '../../lib/errors.js';
import { apiKeySubject, parsePrincipal } from '../../lib/principal.js';
import {
  configuredApiKeyGroups,
  configuredTypes,
  evaluate,
  formatExplanation,
  initSqlParser,
  loadPolicySource,
} from '../../server/entry/policy-tools.js';

export default class PolicyExplain extends BaseCommand {
  static override description =
    'Show how the policy decides a request: the statements as classified, the decision, and every rule that matched';

  static override examples = [
    '<%= config.bin %> policy explain --as alice --groups engineering --connection pg-prod -i "delete from orders"',
    '<%= config.bin %> policy explain --config hoop.yaml --api-key agent-1 --connection pg-prod -i "update orders set status = 1"',
    '<%= config.bin %> policy explain policy.yaml --api-key agent-1 --groups agents --connection pg-prod --type postgres',
  ];

  static override args = {
    file: Args.string({
      description: "policy file (default: the config's policy, or ./policy.yaml)",
    }),
  };

  static override flags = {
    ...jsonFlag,
    config: Flags.string({
      description: 'gateway config: the policy and connection types',
      helpValue: 'FILE',
    }),
    as: Flags.string({
      description: 'the caller, a person or provider identity: subject (or oidc:<sub>) or name',
      exactlyOne: ['as', 'api-key'],
    }),
    'api-key': Flags.string({
      description:
        "the caller is this API key (an agent); its groups come from --config's auth.apiKeys",
      helpValue: 'NAME',
    }),
    email: Flags.string({ description: "the caller's email" }),
    groups: Flags.string({
      description:
        "comma-separated groups (default: none, or with --api-key the key's configured groups)",
    }),
    agent: Flags.boolean({ description: 'the caller is an agent', default: false }),
    actors: Flags.string({ description: 'comma-separated delegation chain, current actor first' }),
    connection: Flags.string({ description: 'connection name', required: true }),
    type: Flags.string({
      description: 'connection type (default: from --config, else postgres)',
      options: [...CONNECTION_TYPES],
    }),
    input: Flags.string({
      char: 'i',
      description: 'SQL to decide (default: opening a session)',
      exclusive: ['file'],
    }),
    file: Flags.string({ char: 'f', description: 'read the SQL from FILE', helpValue: 'FILE' }),
    at: Flags.string({ description: 'decide as at this time (ISO 8601)', helpValue: 'TIME' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PolicyExplain);
    const [source] = await Promise.all([
      loadPolicySource(args.file, flags.config),
      initSqlParser(),
    ]);
    const sql = flags.file === undefined ? flags.input : await readFile(flags.file, 'utf8');
    const at = flags.at === undefined ? undefined : new Date(flags.at);
    if (at !== undefined && Number.isNaN(at.getTime())) {
      throw new HoopError('HOOP_USAGE', `--at: not a time: ${flags.at}`, {
        hint: 'Give a time such as 2026-01-05T23:30:00+01:00.',
      });
    }
    const split = (value: string | undefined) =>
      (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    const actors = split(flags.actors);
    // --as is a provider identity, by its sub or as oidc:<sub>; --api-key an API key.
    const named = flags.as === undefined ? undefined : parsePrincipal(flags.as);
    if (named?.method === 'apikey') {
      throw new HoopError('HOOP_USAGE', `--as ${flags.as}: that is an API key`, {
        hint: `Use --api-key ${flags.as!.slice('apikey:'.length)}.`,
      });
    }
    const name = flags['api-key'] ?? named?.subject ?? flags.as!;
    const groups =
      flags.groups !== undefined
        ? split(flags.groups)
        : flags['api-key'] !== undefined
          ? apiKeyGroups(flags['api-key'], configuredApiKeyGroups(source))
          : [];
    const type =
      (flags.type as ConnectionType | undefined) ??
      configuredTypes(source)?.get(flags.connection) ??
      'postgres';
    const request = {
      identity: {
        method: flags['api-key'] === undefined ? ('oidc' as const) : ('apikey' as const),
        subject: flags['api-key'] === undefined ? name : apiKeySubject(name),
        name,
        groups,
        kind:
          flags.agent || flags['api-key'] !== undefined ? ('agent' as const) : ('user' as const),
        ...(actors.length === 0 ? {} : { actors }),
        ...(flags.email === undefined ? {} : { email: flags.email }),
      },
      connection: { name: flags.connection, type },
      ...(at === undefined ? {} : { at }),
    };
    const evaluation = evaluate(source.policy, request, sql);
    if (flags.json) {
      this.log(
        JSON.stringify(
          { policy: source.file, hash: source.policy.hash, request, ...evaluation },
          null,
          2,
        ),
      );
      return;
    }
    const effects = new Map(source.policy.rules.map((rule) => [rule.name, rule.effect]));
    this.log(
      `${name} (${request.identity.kind}; groups ${request.identity.groups.join(', ') || '-'}) on ${flags.connection} (${type})`,
    );
    this.log(formatExplanation(evaluation, (rule) => effects.get(rule) ?? '?'));
  }
}

/**
 * The groups the gateway gives API key `name`: those of its `auth.apiKeys`
 * entry in `--config`, as the gateway reads them.
 *
 * @throws HoopError `HOOP_USAGE` when the config has no such key.
 */
function apiKeyGroups(
  name: string,
  configured: ReadonlyMap<string, string[]> | undefined,
): string[] {
  if (configured === undefined) {
    process.stderr.write(
      `Note: the groups of API key ${name} are in the gateway config; without --config (or --groups) it is decided with none.\n`,
    );
    return [];
  }
  const groups = configured.get(name);
  if (groups === undefined) {
    const known = [...configured.keys()];
    throw new HoopError('HOOP_USAGE', `--api-key ${name}: the config has no API key of that name`, {
      hint: known.length
        ? `Its API keys are ${known.join(', ')}; or pass --groups to decide with other groups.`
        : 'Its auth.apiKeys is empty; pass --groups to decide with groups of your choice.',
    });
  }
  return groups;
}
