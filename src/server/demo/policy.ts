/**
 * The demo policy as inline `hoop.yaml` lines (DESIGN.md, "Policy as code"):
 * drops refused everywhere, deletes refused to agents, agents' updates held
 * for a DBA's approval, personal data masked on `demo-pg` for everyone, and
 * the demo groups allowed the rest.
 */
export const DEMO_POLICY_YAML = [
  'policy:',
  '  - name: no-drops',
  '    match: { statements: [drop, truncate] }',
  '    effect: deny',
  '    message: Dropping or truncating tables is not allowed in the demo',
  '  - name: agents-never-delete',
  '    match: { groups: [agents], statements: [delete] }',
  '    effect: deny',
  '    message: Agents may not delete rows',
  '  - name: agent-updates-need-review',
  '    match: { groups: [agents], statements: [update, insert] }',
  '    effect: review',
  '    review: { approvers: [dba], approvals: 1, timeout: 10m }',
  '  - name: pii',
  '    match: { connections: [demo-pg] }',
  '    effect: mask',
  '    mask:',
  '      columns: [customers.email, "*.card_number", "*.ssn", "*.phone"]',
  '      detectors: [email, credit_card, phone, national_id]',
  '  - name: demo-people-and-agents',
  '    match: { groups: [engineering, dba, agents] }',
  '    effect: allow',
];
