/**
 * `npm run bench:policy [-- --iterations 20000 --rules 500]`: what deciding a
 * statement by policy costs, through the PostgreSQL relay's own decision
 * path (`SqlDecider`: classification with the PostgreSQL parser, its cache,
 * and the session enforcer's decision per statement), with a policy of realistic variety: groups, connections with
 * wildcards, statement kinds, tables with wildcards, functions, time
 * windows, CEL conditions, masks, reviews and denies.
 *
 * Figures (issue 5): a cached statement with 500 rules p50 ≤ 20 µs and
 * p99 ≤ 200 µs; a new 200-character statement, parse included, p50 ≤ 150 µs.
 * `policy.decide` alone is printed as a reference for the gate's own cost.
 *
 * Exit status: 0 when the bench ran (1 with `--strict` if a target was
 * missed), 2 when it could not run.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';

import type { Identity } from '../src/server/auth/identity.js';
import { parsePolicy, requestFor, type Policy } from '../src/server/policy/index.js';
import { SessionPins } from '../src/server/protocols/postgres/session-pins.js';
import { PostgresClassifier } from '../src/server/protocols/postgres/sql-classifier.js';
import { SqlDecider, type SqlVerdict } from '../src/server/protocols/postgres/sql-decider.js';
import { sessionEnforcer } from '../src/server/sessions/enforcer.js';
import { initSqlParser } from '../src/server/sql/index.js';
import { percentile, table } from './lib/stats.js';

const USAGE = `usage: npm run bench:policy [-- options]
  --iterations N  decisions measured per figure (default 20000)
  --rules N       rules in the policy (default 500)
  --strict        exit 1 when a target is missed`;

const GROUPS = ['engineering', 'analysts', 'support', 'finance', 'agents', 'sre', 'dba', 'sales'];
const SCHEMAS = ['public', 'billing', 'crm', 'analytics', 'audit', 'hr', 'ops', 'vault'];
const KINDS = ['select', 'insert', 'update', 'delete', 'ddl', 'drop', 'truncate', 'copy'];

/**
 * `count` rules that read like a large organisation's policy: most are
 * scoped to other teams or connections, many apply to the connection the
 * bench asks about, and the allow that decides is the last rule, so that
 * every rule is looked at.
 */
export function benchPolicyText(count: number): string {
  const rules: string[] = [];
  for (let i = 0; rules.length < count - 1; i++) {
    const group = GROUPS[i % GROUPS.length] as string;
    const schema = SCHEMAS[(i * 3) % SCHEMAS.length] as string;
    const kind = KINDS[i % KINDS.length] as string;
    const connection = i % 4 === 0 ? '"*"' : i % 4 === 1 ? 'pg-*' : `pg-team-${i % 37}`;
    switch (i % 10) {
      case 0:
        rules.push(
          `  - name: deny-${i}\n    match: { connections: [${connection}], groups: [${group}], statements: [drop, truncate], tables: ["${schema}.*"] }\n    effect: deny\n    message: not on ${schema}`,
        );
        break;
      case 1:
        rules.push(
          `  - name: mask-${i}\n    match: { connections: [${connection}], groups: [${group}, agents] }\n    effect: mask\n    mask: { columns: ["${schema}.*.email", "*.ssn_${i}"], detectors: [email, credit_card] }`,
        );
        break;
      case 2:
        rules.push(
          `  - name: cel-${i}\n    match: { connections: [${connection}], statements: [${kind}] }\n    when: 'identity.kind == "agent" && action.tables.exists(t, t.startsWith("${schema}."))'\n    effect: deny`,
        );
        break;
      case 3:
        rules.push(
          `  - name: review-${i}\n    match: { connections: [${connection}], groups: [${group}], statements: [update, delete], tables: ["${schema}.orders_${i}"] }\n    effect: review\n    review: { approvers: [dba], approvals: 1, timeout: 10m }`,
        );
        break;
      case 4:
        rules.push(
          // A mask, not a deny: the bench's statement must be allowed at any hour it runs.
          `  - name: hours-${i}\n    match: { connections: [${connection}], groups: [${group}], time: { days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00", timezone: Europe/Berlin } }\n    effect: mask\n    mask: { columns: ["*.night_${i}"] }`,
        );
        break;
      case 5:
        rules.push(
          `  - name: fn-${i}\n    match: { connections: [${connection}], functions: ["pg_read_file", "${schema}.f_${i}"] }\n    effect: deny`,
        );
        break;
      case 6:
        rules.push(
          `  - name: user-${i}\n    match: { users: [user-${i}@example.com], connections: [${connection}], statements: [select], tables: ["${schema}.*"] }\n    effect: allow`,
        );
        break;
      case 7:
        rules.push(
          `  - name: delegated-${i}\n    match: { actors: [agent:${i}], connections: [${connection}] }\n    effect: deny`,
        );
        break;
      case 8:
        rules.push(
          `  - name: cel-allow-${i}\n    match: { connections: [${connection}] }\n    when: '"${group}" in identity.groups && connection.name.startsWith("pg-")'\n    effect: mask\n    mask: { columns: ["*.secret_${i}"] }`,
        );
        break;
      default:
        rules.push(
          `  - name: team-${i}\n    match: { connections: [pg-team-${i % 37}], groups: [${group}], statements: [select, insert, update], tables: ["${schema}.*", "public.t_${i}"] }\n    effect: allow`,
        );
    }
  }
  rules.push(
    '  - name: engineering-reads\n    match: { groups: [engineering], statements: [select], tables: ["public.*", "crm.*"] }\n    effect: allow',
  );
  return `rules:\n${rules.join('\n')}\n`;
}

/** A 200-character statement, different for each `i` in a way the classification cache cannot reuse. */
export function newStatement(i: number): string {
  const text =
    `select o.id, o.total, c.name, c.email as email_${i} from public.orders o ` +
    "join crm.customers c on c.id = o.customer_id where o.status = 'open' order by o.id limit 50";
  return text.padEnd(200, ' ');
}

function parseOptions(): { iterations: number; rules: number; strict: boolean } {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '20000' },
      rules: { type: 'string', default: '500' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 1) {
      console.error(`bench: --${name} must be a whole number above 1\n${USAGE}`);
      process.exit(2);
    }
    return value;
  };
  return {
    iterations: positive('iterations', values.iterations),
    rules: positive('rules', values.rules),
    strict: values.strict,
  };
}

/** Times `fn(i)` for each i, in microseconds, after a warm-up of `warmup` calls. */
function sample(iterations: number, warmup: number, fn: (i: number) => unknown): number[] {
  for (let i = 0; i < warmup; i++) fn(i);
  const times = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    fn(warmup + i);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return times;
}

async function main(): Promise<number> {
  const options = parseOptions();
  await initSqlParser();
  const policy: Policy = parsePolicy(benchPolicyText(options.rules), { file: 'bench-policy.yaml' });
  const identity: Identity = {
    subject: 'oidc|alice',
    name: 'alice@example.com',
    email: 'alice@example.com',
    kind: 'user',
    method: 'oidc',
    groups: ['engineering', 'analysts'],
  };
  const connection = { name: 'pg-prod', type: 'postgres' as const };
  const session = { identity, connection };
  const enforcer = sessionEnforcer(
    { policy: () => policy },
    {
      id: 'ses_bench',
      identity,
      connection,
      mode: { type: 'wait' },
      log: pino({ level: 'silent' }),
    },
  );
  const classifier = new PostgresClassifier({
    limits: {},
    parseTimeoutMs: 5_000,
    offThreadLength: 8_192,
  });
  const decider = new SqlDecider(enforcer, new SessionPins(), classifier);
  // The bench's statements are short: classified on the event loop, never a promise.
  const gate = (sql: string) => (decider.decide(sql) as SqlVerdict).decision;
  const cached = newStatement(1_000_000_000);
  const first = gate(cached);
  if (first.effect !== 'allow') {
    console.error(`bench: the policy refuses the bench statement: ${first.message}`);
    return 2;
  }

  const engineRequest = {
    ...requestFor(session),
    action: {
      type: 'sql' as const,
      kinds: ['select'],
      tables: ['public.orders', 'crm.customers'],
      functions: [],
    },
  };
  const engine = sample(options.iterations, 2_000, () => policy.decide(engineRequest));
  const hit = sample(options.iterations, 2_000, () => gate(cached));
  // Fewer: each one is a parse, and the cache must not see a string twice.
  const parses = Math.min(options.iterations, 5_000);
  const miss = sample(parses, 500, (i) => gate(newStatement(i)));

  const us = (value: number): string => `${value.toFixed(1)} µs`;
  const rows = [
    {
      metric: `policy.decide alone, ${policy.rules.length} rules (reference)`,
      p50: percentile(engine, 50),
      p99: percentile(engine, 99),
      targets: [] as [string, number, number][],
    },
    {
      metric: `gate, cached statement, ${policy.rules.length} rules`,
      p50: percentile(hit, 50),
      p99: percentile(hit, 99),
      targets: [
        ['p50', percentile(hit, 50), 20],
        ['p99', percentile(hit, 99), 200],
      ] as [string, number, number][],
    },
    {
      metric: `gate, new 200-character statement (parse), ${policy.rules.length} rules`,
      p50: percentile(miss, 50),
      p99: percentile(miss, 99),
      targets: [['p50', percentile(miss, 50), 150]] as [string, number, number][],
    },
  ];
  let missed = 0;
  const lines = rows.map((row) => {
    const met = row.targets.every(([, value, limit]) => value <= limit);
    if (!met) missed++;
    return [
      row.metric,
      us(row.p50),
      us(row.p99),
      row.targets.map(([which, , limit]) => `${which} ≤ ${limit} µs`).join(', '),
      row.targets.length === 0 ? '' : met ? 'ok' : 'FAIL',
    ];
  });
  console.log(
    `\n${options.iterations} decisions per figure (${parses} for new statements), Node ${process.version}\n`,
  );
  console.log(table([['metric', 'p50', 'p99', 'target', 'result'], ...lines]));
  console.log(missed === 0 ? '\nAll targets met.' : `\n${missed} target(s) missed.`);
  return missed > 0 && options.strict ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
