import type { PolicyRequest, SqlAction } from '../../../../src/server/policy/index.js';

/** The example policy from DESIGN.md ("Policy as code"), verbatim. */
export const DESIGN_POLICY = `rules:
  - name: no-drops
    match: { connections: [pg-prod], statements: [drop, truncate] }
    effect: deny
    message: Dropping objects in production is not allowed   # optional, shown to the caller
  - name: agent-writes-need-review
    match: { groups: [agents], statements: [insert, update, delete] }
    effect: review
    review: { approvers: [dba], approvals: 1, timeout: 5m }
  - name: pii
    match: { connections: ["*"] }
    effect: mask
    mask:
      columns: [customers.email, "*.ssn", "*.card_number"]   # table.column, * as wildcard
      detectors: [email, credit_card, phone]
  - name: engineers-and-agents
    match: { groups: [engineering, agents] }
    effect: allow
`;

type Identity = PolicyRequest['identity'];

export const alice: Identity = {
  method: 'oidc',
  subject: 'oidc|alice',
  name: 'Alice',
  email: 'alice@example.com',
  groups: ['engineering'],
  kind: 'user',
};

export const agent: Identity = {
  method: 'apikey',
  subject: 'apikey:agent-1',
  name: 'agent-1',
  groups: ['agents'],
  kind: 'agent',
};

export const mallory: Identity = {
  method: 'oidc',
  subject: 'oidc|mallory',
  name: 'Mallory',
  groups: ['marketing'],
  kind: 'user',
};

export function sql(
  kinds: string[],
  tables: string[] = [],
  functions: string[] = [],
  unparsed?: boolean,
): SqlAction {
  return { type: 'sql', kinds, tables, functions, ...(unparsed && { unparsed }) };
}

export function request(
  identity: Identity,
  connection: string,
  action?: SqlAction,
  type: PolicyRequest['connection']['type'] = 'postgres',
): PolicyRequest {
  return { identity, connection: { name: connection, type }, ...(action && { action }) };
}
