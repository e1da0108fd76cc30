/**
 * Which way dependencies may point (docs/ARCHITECTURE.md, "Layers"). Runs in
 * `npm run check` (so in `npm test`); test/unit/architecture.test.ts shows a
 * wrong import failing it.
 *
 *   commands → cli → (server/entry) → server → tunnel → lib
 *   audit-chain (below cli and server) → lib
 *   protocols → enforcement (the contract), targets/connector, sql analysers
 *   policy, masking, reviews, audit → enforcement, never protocols
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'protocols-get-an-enforcer',
      comment:
        'Protocol code gets an enforcer and a target connector handed in: it imports the enforcement contract, ' +
        'the connector interface and the SQL analysers, never policy, masking, reviews, audit, sessions or the rest of the gateway.',
      severity: 'error',
      from: { path: '^src/server/protocols/' },
      to: {
        path: '^src/server/',
        pathNot: [
          '^src/server/protocols/',
          '^src/server/enforcement/',
          '^src/server/targets/connector[.]ts$',
          '^src/server/sql/',
          '^src/server/logger[.]ts$',
        ],
      },
    },
    {
      name: 'enforcement-knows-no-protocol',
      comment:
        'Policy, masking, reviews and audit implement the contract; none of them imports protocol code.',
      severity: 'error',
      from: { path: '^src/server/(policy|masking|reviews|audit|enforcement)/' },
      to: { path: '^src/server/protocols/' },
    },
    {
      name: 'contract-stands-alone',
      comment:
        'The enforcement contract imports nothing of the gateway: every side can depend on it.',
      severity: 'error',
      from: { path: '^src/server/enforcement/' },
      to: { path: '^src/', pathNot: ['^src/server/enforcement/', '^src/lib/'] },
    },
    {
      name: 'cli-reaches-server-through-entries',
      comment:
        'src/cli and src/commands never import src/server internals: commands load src/server/entry/ modules; ' +
        'code both sides need lives below both (src/audit-chain, src/lib, src/tunnel).',
      severity: 'error',
      from: { path: '^src/(cli|commands)/' },
      to: { path: '^src/server/', pathNot: '^src/server/entry/' },
    },
    {
      name: 'cli-module-not-server-entries',
      comment: 'Only commands load the server (dynamically); the CLI library stays free of it.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'store-owns-its-records',
      comment: 'The store owns its record types and imports nothing above it.',
      severity: 'error',
      from: { path: '^src/server/store/' },
      to: { path: '^src/', pathNot: ['^src/server/store/', '^src/lib/', '^src/tunnel/'] },
    },
    {
      name: 'lib-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'audit-chain-below-both-sides',
      comment: 'The chain is hashed by the gateway and verified by the CLI: it depends on neither.',
      severity: 'error',
      from: { path: '^src/audit-chain/' },
      to: { path: '^src/', pathNot: ['^src/audit-chain/', '^src/lib/'] },
    },
    {
      name: 'tunnel-below-server-and-cli',
      severity: 'error',
      from: { path: '^src/tunnel/' },
      to: { path: '^src/(server|cli|commands)/' },
    },
    {
      name: 'server-not-cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/(cli|commands)/' },
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other cannot be understood, or loaded, one at a time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
