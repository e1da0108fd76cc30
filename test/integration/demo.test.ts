import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

  before(async () => {
    demo = spawnHoop(['demo', '--port', '0', '--idp-port', '0']);
    const [, gateway] = await demo.waitFor(/export HOOP_GATEWAY=(\S+)/, 120_000);
    const [, token] = await demo.waitFor(/export HOOP_TOKEN=(\S+)/);
    const [, data] = await demo.waitFor(/demo-pg .* data in (\S+)/);
    env = { HOOP_GATEWAY: gateway, HOOP_TOKEN: token };
    dataDir = data as string;
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

  it('exits 0 on Ctrl-C and stops its PostgreSQL', async () => {
    assert.ok(processesMentioning(dataDir).length > 0, 'the demo PostgreSQL should be running');
    assert.equal(await demo.stop('SIGINT'), 0);
    assert.deepEqual(processesMentioning(dataDir), []);
    assert.equal(existsSync(dataDir), false);
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
