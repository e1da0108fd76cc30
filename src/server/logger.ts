import { destination, pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout stays free for command output).
 * Tokens are never logged: log the subject and, for JWTs, the `jti` only.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'hoop' } }, destination({ fd: 2, sync: true }));
}
