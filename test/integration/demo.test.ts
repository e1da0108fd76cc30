import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sampleData } from '../../src/server/demo/sample-data.js';
import { runHoop, spawnHoop, type RunningHoop } from '../helpers/cli.js';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Command lines of the processes whose arguments mention `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * `hoop demo` as a user runs it: the built CLI on port 0, its own throwaway
 * PostgreSQL with the sample shop, and the agent lines it prints.
 */
describe('hoop demo', () => {
  let demo: RunningHoop;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  let configFile: string;

  before(async () => {
    demo = spawnHoop(['demo', '--port', '0', '--idp-port', '0']);
    const [, gateway] = await demo.waitFor(/export HOOP_GATEWAY=(\S+)/, 120_000);
    const [, token] = await demo.waitFor(/export HOOP_TOKEN=(\S+)/);
    const [, data] = await demo.waitFor(/demo-pg .* data in (\S+)/);
    const [, config] = await demo.waitFor(/^ {2}config {13}(\S+)$/m);
    env = { HOOP_GATEWAY: gateway, HOOP_TOKEN: token };
    dataDir = data as string;
    configFile = config as string;
  });

  after(async () => {
    await demo?.stop();
  });

  it('prints the bound ports, not the 0 it was given', () => {
    const { stdout } = demo.output();
    assert.match(stdout, /gateway\s+http:\/\/127\.0\.0\.1:[1-9]\d*/);
    assert.match(stdout, /identity provider\s+http:\/\/127\.0\.0\.1:[1-9]\d*/);
    assert.match(stdout, /hoop connect demo-pg/);
    assert.match(stdout, /psql "postgres:\/\/127\.0\.0\.1:5433\/shop"/);
  });

  it('masks personal data for the agent', async () => {
    const result = await runHoop(
      [
        'exec',
        'demo-pg',
        '-i',
        'select email, card_number from customers limit 1',
        '--output',
        'json',
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const [first] = JSON.parse(result.stdout).results;
    const [[email, card]] = first.rows;
    assert.match(email, /^[a-z]\*\*\*@example\.(com|org|net)$/);
    assert.match(card, /^\*+\d{4}$/);
  });

  it('seeds customers, orders and the view joining them', async () => {
    const result = await runHoop(
      [
        'exec',
        'demo-pg',
        '-i',
        'select (select count(*) from customers) as customers, (select count(*) from orders) as orders, (select count(*) from customer_orders) as joined',
        '--output',
        'json',
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).results[0].rows, [[50, 200, 200]]);
  });

  it('refuses a drop with exit code 3', async () => {
    const result = await runHoop(['exec', 'demo-pg', '-i', 'drop table orders'], env);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /no-drops/);
  });

  it('says what each demo identity shows', () => {
    const { stdout } = demo.output();
    assert.match(
      stdout,
      /^ {2}alice +\(engineering\) an engineer: reads the shop with emails, cards, phones and SSNs masked/m,
    );
    assert.match(stdout, /^ {2}bob +\(dba\) the DBA: approves/m);
    assert.match(stdout, /^ {2}carol +\(support\) support: no connection is open to her group/m);
    assert.match(
      stdout,
      /^ {2}demo-agent +\(agents, the API key below\) reads masked data; deletes are refused/m,
    );
  });

  it('keeps its policy in a file beside its config, for hoop policy explain and hoop audit verify', async () => {
    assert.match(readFileSync(configFile, 'utf8'), /^policy: \.\/policy\.yaml$/m);
    const explained = await runHoop([
      'policy',
      'explain',
      '--config',
      configFile,
      '--api-key',
      'demo-agent',
      '--connection',
      'demo-pg',
      '-i',
      "update orders set status = 'shipped' where id = 1",
      '--json',
    ]);
    assert.equal(explained.code, 0, explained.stderr);
    const report = JSON.parse(explained.stdout);
    assert.deepEqual(report.request.identity.groups, ['agents']);
    assert.equal(report.effect, 'review');
    assert.equal(report.rule, 'agent-updates-need-review');
    const carol = await runHoop([
      'policy',
      'explain',
      '--config',
      configFile,
      '--as',
      'carol',
      '--groups',
      'support',
      '--connection',
      'demo-pg',
    ]);
    assert.match(carol.stdout, /^Decision: deny/m);
    // Another process loads the whole config: its secret is a file beside it.
    const verified = await runHoop(['audit', 'verify', '--config', configFile]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^intact: /m);
  });

  it('exits 0 on Ctrl-C, stops its PostgreSQL, and says so', async () => {
    assert.ok(processesMentioning(dataDir).length > 0, 'the demo PostgreSQL should be running');
    assert.equal(await demo.stop('SIGINT'), 0);
    assert.deepEqual(processesMentioning(dataDir), []);
    assert.equal(existsSync(dataDir), false);
    assert.match(
      demo.output().stderr,
      /^hoop demo stopped: the gateway, the identity provider and PostgreSQL are down, and \S+ is removed\.$/m,
    );
  });
});

describe('hoop demo on a busy port', () => {
  it('exits 2 at once with a hint naming --port and --idp-port, not a stack trace', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      for (const [flags, flag] of [
        [['--port', String(port), '--idp-port', '0'], '--port'],
        [['--port', '0', '--idp-port', String(port)], '--idp-port'],
      ] as const) {
        const started = Date.now();
        const result = await runHoop(['demo', ...flags]);
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stdout, '');
        const lines = result.stderr.trimEnd().split('\n');
        assert.match(
          lines.at(-2) ?? '',
          new RegExp(
            `^Error: cannot start the demo: 127\\.0\\.0\\.1:${port} \\(.*${flag}\\) is in use$`,
          ),
        );
        assert.match(lines.at(-1) ?? '', /--port .*--idp-port/);
        assert.doesNotMatch(result.stderr, / {4}at /, 'no stack trace');
        assert.ok(Date.now() - started < 10_000, 'before starting PostgreSQL');
      }
    } finally {
      busy.close();
    }
  });
});

describe('demo sample data', () => {
  it('is the same on every call, with Luhn-valid test cards and SSNs in issued ranges', () => {
    const { customers, orders } = sampleData();
    assert.deepEqual(sampleData(), { customers, orders });
    assert.equal(customers.length, 50);
    assert.equal(orders.length, 200);
    assert.equal(new Set(customers.map((c) => c.email)).size, customers.length);
    for (const { card_number, ssn, phone } of customers) {
      assert.ok(luhnValid(card_number), card_number);
      assert.match(card_number, /^(424242|555555|378282)\d+$/);
      const [area, group, serial] = ssn.split('-').map(Number) as [number, number, number];
      assert.ok(area >= 1 && area < 900 && area !== 666 && group >= 1 && serial >= 1, ssn);
      assert.match(phone, /^\+1 \d{3} 555 01\d{2}$/);
    }
  });
});
