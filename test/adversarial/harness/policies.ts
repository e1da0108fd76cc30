import { FUNCTION_GROUP_NAMES } from '../../../src/server/sql/function-groups.js';

/**
 * The policy an operator would write to keep an agent from destroying data
 * or reaching outside the database: drops and truncates denied, the
 * dangerous functions denied, deletes held for a DBA's review, the rest
 * allowed. Every case below is an agent's attempt to get around it.
 */
export const STATEMENT_POLICY = [
  {
    name: 'no-drops',
    match: { statements: ['drop', 'truncate'] },
    effect: 'deny',
    message: 'Dropping or truncating is not allowed',
  },
  {
    name: 'no-dangerous-functions',
    // Every group of the documented list of dangerous functions and operations (README, "Function groups").
    match: { functions: [...FUNCTION_GROUP_NAMES] },
    effect: 'deny',
  },
  {
    name: 'deletes-need-review',
    match: { statements: ['delete'] },
    effect: 'review',
    review: { approvers: ['dba'], approvals: 1, timeout: '1m' },
  },
  { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
  { name: 'dbas', match: { groups: ['dba'] }, effect: 'allow' },
];

/**
 * For the identity collision cases: the same denies and review, and an
 * allow for the API key agent-1 by name (and the approvers), not for a group
 * an impostor could be given.
 */
export const IDENTITY_POLICY = [
  ...STATEMENT_POLICY.filter((rule) => rule.name !== 'agents'),
  { name: 'agent-1-only', match: { apiKeys: ['agent-1'] }, effect: 'allow' },
];
