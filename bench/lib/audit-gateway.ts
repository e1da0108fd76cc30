/**
 * A gateway process for `bench:audit`: `node --import tsx
 * bench/lib/audit-gateway.ts CONFIG [--no-record]`. The same gateway as
 * `hoop server`; `--no-record` still classifies and decides every statement
 * but records no statement event, so the bench can measure recording alone.
 */
import { loadConfig } from '../../src/server/config/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: audit-gateway.ts CONFIG [--no-record]');
  process.exit(2);
}
const config = await loadConfig(file);
const gateway = await startGateway({
  config,
  logger: createLogger(config.log.level),
  recordStatements: flag !== '--no-record',
});
console.log(`hoop gateway listening on ${gateway.url}`);
process.once('SIGTERM', () => {
  void gateway.close().then(() => process.exit(0));
});
