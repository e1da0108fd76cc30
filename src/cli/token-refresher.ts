import { resolveCredentials, type Credentials } from './credentials.js';

/** Refresh at most this often even when the gateway allows longer. */
const MAX_INTERVAL_MS = 5 * 60_000;
const MIN_INTERVAL_MS = 1_000;

/**
 * Keeps a long-running command's token fresh. For a stored login it
 * refreshes through the identity provider every half revocation window (the
 * gateway ends people's sessions that go a whole window without a freshly
 * issued token), and sooner when the access token would expire first, and
 * hands each new token to `onToken`. A token from HOOP_TOKEN cannot be
 * refreshed and is left alone.
 */
export function startTokenRefresher(options: {
  gateway: string;
  initial: Credentials;
  /** The gateway's `revocationWindowSeconds` (GET /api/auth/config), if it has one. */
  revocationWindowSeconds?: number;
  onToken: (token: string) => void;
  onError: (error: Error) => void;
  /** Where the stored login is found (HOOP_CONFIG_DIR, HOOP_TOKEN_STORE); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}): { token(): string; stop(): void } {
  let current = options.initial;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  if (current.source !== 'login') return { token: () => current.token, stop: () => {} };
  const windowMs = (options.revocationWindowSeconds ?? 60) * 1000;

  // Failed refreshes in a row: each doubles the wait, up to the normal interval.
  let failures = 0;

  const schedule = (): void => {
    let delay = Math.min(MAX_INTERVAL_MS, windowMs / 2);
    // Three quarters into the token's remaining life, so it never lapses in between.
    // After a failure the token has lapsed or is about to: back off instead of
    // asking the identity provider every second for a login it has revoked.
    if (failures > 0) delay = Math.min(delay, MIN_INTERVAL_MS * 2 ** failures);
    else if (current.expiresAt !== undefined)
      delay = Math.min(delay, ((current.expiresAt * 1000 - Date.now()) * 3) / 4);
    timer = setTimeout(refresh, Math.max(MIN_INTERVAL_MS, delay));
    timer.unref();
  };
  const refresh = (): void => {
    resolveCredentials(options.gateway, options.env ?? process.env, { forceRefresh: true }).then(
      (credentials) => {
        if (stopped) return;
        failures = 0;
        current = credentials;
        options.onToken(current.token);
        schedule();
      },
      (error: Error) => {
        if (stopped) return;
        failures += 1;
        options.onError(error);
        schedule();
      },
    );
  };
  schedule();
  return {
    token: () => current.token,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
