import type { ErrorCode, HoopError } from '../lib/errors.js';

/**
 * What to do next, for errors that arrive without their own hint (an older
 * gateway, a refusal from a proxy in between). Codes not listed fall back to
 * the advice for their exit code, so every failure the CLI prints ends with
 * one line of advice, including codes added later.
 */
const BY_CODE: Partial<Record<ErrorCode, string>> = {
  HOOP_CONNECTION_UNKNOWN: 'Run `hoop connections` to see the connections you may use.',
  HOOP_CONNECTION_FORBIDDEN: 'Ask an administrator to open the connection to one of your groups.',
  HOOP_PROTOCOL_UNSUPPORTED:
    'This gateway cannot proxy this type of connection yet; ask an administrator.',
  HOOP_NOT_FOUND: 'Check that HOOP_GATEWAY (or --gateway) points at a hoop gateway.',
  HOOP_BAD_REQUEST:
    'See `hoop --help`; if the command was right, the gateway may be another version.',
  HOOP_CONFIG_INVALID: 'Fix the config file and start again.',
  HOOP_SECRET_MISSING: 'Set the environment variable or create the file the config refers to.',
  HOOP_PORT_UNAVAILABLE: 'Choose another port with --port, or stop what is using it.',
  HOOP_TARGET_UNREACHABLE: 'The gateway cannot reach the target; ask an administrator to check it.',
  HOOP_STORE_UNAVAILABLE: 'Retry later; an administrator should check the gateway store.',
  HOOP_SHUTTING_DOWN: 'Retry in a moment.',
  HOOP_INTERNAL: 'This is a bug in hoop; the gateway log has the details.',
};

/** By DESIGN.md exit code. */
const BY_EXIT: Record<number, string> = {
  1: 'See the error above.',
  2: 'See `hoop --help`.',
  3: 'Ask an administrator for access.',
  4: 'Wait for the review, or ask an approver.',
  5: 'Run `hoop login`, or set HOOP_TOKEN to a valid API key.',
  6: 'Check that the gateway is running and HOOP_GATEWAY (or --gateway) points at it.',
};

/** The one line of advice printed under an error: its own hint, else the code's, else the exit code's. */
export function adviceFor(error: HoopError): string {
  return error.hint ?? BY_CODE[error.code] ?? BY_EXIT[error.exitCode] ?? 'See `hoop --help`.';
}

/** What the CLI prints on stderr for a HoopError: what went wrong, then the advice line. */
export function formatHoopError(error: HoopError): string {
  return `Error: ${error.message}\n${adviceFor(error)}\n`;
}
