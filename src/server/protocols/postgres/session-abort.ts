import type { SessionAbort } from '../handler.js';
import { PostgresSessionError } from './session-error.js';

/**
 * The SQLSTATE a client is told when the gateway ends its session from
 * outside (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * 58000 system_error when the audit store is gone (the gateway's own system
 * failed, not the target or the client), 28000 invalid_authorization_specification
 * when the caller's credential is no longer accepted, 57P01 admin_shutdown otherwise.
 */
export function abortSqlState(abort: SessionAbort): string {
  if (abort.reason === 'store_unavailable') return '58000';
  return abort.reason === 'unauthorized' ? '28000' : '57P01';
}

/** The abort reason of a signal, worded for a client when it is not a {@link SessionAbort}. */
export function sessionAbortOf(signal: AbortSignal): SessionAbort {
  const reason = signal.reason as Partial<SessionAbort> | undefined;
  return {
    reason: reason?.reason ?? 'gateway_shutdown',
    message: reason?.message ?? 'hoop: the gateway ended the session',
  };
}

/**
 * `work`, unless the gateway ends the session first (it stops, its store is
 * gone): then, at once, a {@link PostgresSessionError} in the abort's terms
 * (FATAL 57P01 for a stop), and what `work` yields later goes to `discard`
 * (a target login that finishes after it was abandoned is closed). A login
 * in flight never holds a stopping gateway up.
 */
export function unlessAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  discard: (late: T) => void = () => {},
): Promise<T> {
  const abandoned = (): PostgresSessionError => {
    const abort = sessionAbortOf(signal);
    return new PostgresSessionError(abortSqlState(abort), abort.message);
  };
  if (signal.aborted) {
    work.then(discard, () => {});
    return Promise.reject(abandoned());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.then(discard, () => {});
      reject(abandoned());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) reject(error as Error);
      },
    );
  });
}
