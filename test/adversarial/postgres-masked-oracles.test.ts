import { after, before, describe, it } from 'node:test';
import { startAdversarialGateway, type AdversarialGateway } from './harness/gateway.js';
import {
  MASKING_POLICY,
  assertNoLeak,
  assertNoLeakThroughExec,
  type LeakCase,
} from './harness/leak.js';
import { startAdversarialTarget, type AdversarialTarget } from './harness/target.js';
import { MORE_ORACLES } from './masked-uses-cases.js';

const CATEGORIES: [string, Omit<LeakCase, 'category'>[]][] = [['oracles', MORE_ORACLES]];

/**
 * Oracles on a masked value (issue 12): predicates, ordering, set
 * operations, errors and row counts that would answer questions about it,
 * attacked as in postgres-masking.test.ts and with its policy, in a file of
 * its own so that each suite keeps within the test runner's time per file.
 */
describe('postgres oracles on masked columns, under attack', () => {
  let target: AdversarialTarget;
  let gateway: AdversarialGateway;

  before(async () => {
    target = await startAdversarialTarget();
    gateway = await startAdversarialGateway(target, MASKING_POLICY);
  });

  after(async () => {
    await gateway?.close();
    await target?.stop();
  });

  for (const [category, cases] of CATEGORIES) {
    describe(category, () => {
      for (const attack of cases) {
        it(attack.name, () => assertNoLeak({ ...attack, category }, target, gateway));
      }
    });
  }

  describe('through hoop exec', () => {
    for (const [category, cases] of CATEGORIES) {
      for (const attack of cases.filter((c) => c.exec)) {
        it(`${category}: ${attack.name}`, () =>
          assertNoLeakThroughExec({ ...attack, category }, target, gateway));
      }
    }
  });
});
