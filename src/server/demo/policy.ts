/**
 * The demo policy as a policy file (DESIGN.md, "Policy as code"): drops
 * refused everywhere, and whatever reaches the database host (server
 * files, programs, other backends, server settings: function groups), deletes refused to agents, agents' writes held for a
 * DBA's approval, personal data masked on `demo-pg` for everyone, and the
 * demo groups allowed the rest. `hoop demo` writes it beside its config, so
 * `hoop policy explain|check|test --config` work on it, and the gateway
 * reloads it when it is edited.
 */
export const DEMO_POLICY = `# The hoop demo's policy. Edit it while the demo runs: the gateway reloads it.
rules:
  - name: no-drops
    match: { statements: [drop, truncate] }
    effect: deny
    message: Dropping or truncating tables is not allowed in the demo
  - name: no-host-access
    match: { functions: ["@server-files", "@program-execution", "@signal-backends", "@configuration"] }
    effect: deny
    message: Reading server files, running programs, signalling backends and changing server settings are not allowed
  - name: agents-never-delete
    match: { groups: [agents], statements: [delete] }
    effect: deny
    message: Agents may not delete rows
  - name: agent-updates-need-review
    match: { groups: [agents], statements: [update, insert] }
    effect: review
    review: { approvers: [dba], approvals: 1, timeout: 10m }
  - name: pii
    match: { connections: [demo-pg] }
    effect: mask
    mask:
      columns: [customers.email, "*.card_number", "*.ssn", "*.phone"]
      detectors: [email, credit_card, phone, national_id]
  - name: demo-people-and-agents
    match: { groups: [engineering, dba, agents] }
    effect: allow
`;
