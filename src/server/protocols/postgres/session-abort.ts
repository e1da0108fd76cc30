import type { SessionAbort } from '../handler.js';

/**
 * The SQLSTATE a client is told when the gateway ends its session from
 * outside (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * 58000 system_error when the audit store is gone (the gateway's own system
 * failed, not the target or the client), 57P01 admin_shutdown otherwise.
 */
export function abortSqlState(abort: SessionAbort): string {
  return abort.reason === 'store_unavailable' ? '58000' : '57P01';
}

/** The abort reason of a signal, worded for a client when it is not a {@link SessionAbort}. */
export function sessionAbortOf(signal: AbortSignal): SessionAbort {
  const reason = signal.reason as Partial<SessionAbort> | undefined;
  return {
    reason: reason?.reason ?? 'gateway_shutdown',
    message: reason?.message ?? 'hoop: the gateway ended the session',
  };
}
