import { after, before, describe, it } from 'node:test';
import { startAdversarialGateway, type AdversarialGateway } from './harness/gateway.js';
import {
  MASKING_POLICY,
  assertNoLeak,
  assertNoLeakThroughExec,
  type LeakCase,
} from './harness/leak.js';
import { startAdversarialTarget, type AdversarialTarget } from './harness/target.js';
import {
  CATALOG,
  CONCURRENT,
  COPIES,
  DERIVATIONS,
  ERRORS,
  EXTENDED,
  FUNCTIONS,
  ORACLES,
} from './masking-cases.js';
import { MESSAGE_ORDER, SERVER_MESSAGES } from './masking-channel-cases.js';
import {
  MORE_CATALOG,
  MORE_DERIVATIONS,
  MORE_FUNCTIONS,
  RENAMES,
  VIEWS,
} from './masking-identity-cases.js';

const CATEGORIES: [string, Omit<LeakCase, 'category'>[]][] = [
  ['out-of-order extended protocol', EXTENDED],
  ['values echoed in errors, notices, notifications and settings', ERRORS],
  ['out-of-order extended protocol, more orders', MESSAGE_ORDER],
  ['values echoed in errors, notices, notifications and settings, more ways', SERVER_MESSAGES],
  ['copying the data elsewhere, then reading it', COPIES],
  ['derivations', DERIVATIONS],
  ['oracles', ORACLES],
  ['functions returning the column, and functions that run SQL from a string', FUNCTIONS],
  ['renames while another agent reads', CONCURRENT],
  ["the gateway's own catalog connection", CATALOG],
  ['derivations the built-ins do not name', MORE_DERIVATIONS],
  ['user code between the column and the output', MORE_FUNCTIONS],
  ['views over the masked table', VIEWS],
  ['renames and schema moves, read by another agent', RENAMES],
  ['schemas that shadow the table for the catalog connection', MORE_CATALOG],
];

/**
 * Reading masked data past the mask rules, as an agent holding an API key
 * would try it: every case plants nothing new, attacks the planted
 * customers, and checks every byte the client received.
 */
describe('postgres masking under attack', () => {
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
