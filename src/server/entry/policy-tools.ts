/** What `hoop policy check|test|explain` run locally: the gateway's own policy and SQL code (see `entry/gateway.ts`). */
export { evaluate } from '../policy-test/evaluate.js';
export { parseCases } from '../policy-test/cases.js';
export { formatExplanation, formatFindings, formatResults } from '../policy-test/report.js';
export { runCases } from '../policy-test/run.js';
export {
  configuredApiKeyGroups,
  configuredTypes,
  lintContext,
  loadPolicySource,
} from '../policy-test/source.js';
export { lintPolicy } from '../policy/lint.js';
export { initSqlParser } from '../sql/index.js';
