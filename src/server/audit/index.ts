export { isStatementAudit, type StatementAudit } from './statement-audit.js';
export { StatementRecorder, type StatementRecorderOptions } from './statement-recorder.js';
