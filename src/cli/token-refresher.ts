import { resolveCredentials, type Credentials } from './credentials.js';

/** Refresh at most this often even when the gateway allows longer. */
const MAX_INTERVAL_MS = 5 * 60_000;

/**
 * Keeps a long-running command's token fresh. For a stored login it
 * refreshes through the identity provider every half revocation window (the
 * gateway ends people's sessions that go a whole window without a freshly
 * issued token) and hands each new token to `onToken`; a token from
 * HOOP_TOKEN cannot be refreshed and is left alone.
 */
export function startTokenRefresher(options: {
  gateway: string;
  initial: Credentials;
  /** The gateway's `revocationWindowSeconds` (GET /api/auth/config), if it has one. */
  revocationWindowSeconds?: number;
  onToken: (token: string) => void;
  onError: (error: Error) => void;
}): { token(): string; stop(): void } {
  let current = options.initial.token;
  if (options.initial.source !== 'login') return { token: () => current, stop: () => {} };
  const windowMs = (options.revocationWindowSeconds ?? 60) * 1000;
  const interval = Math.min(MAX_INTERVAL_MS, Math.max(1_000, windowMs / 2));
  const timer = setInterval(() => {
    resolveCredentials(options.gateway, process.env, { forceRefresh: true }).then(
      (credentials) => {
        current = credentials.token;
        options.onToken(current);
      },
      (error: Error) => options.onError(error),
    );
  }, interval);
  timer.unref();
  return { token: () => current, stop: () => clearInterval(timer) };
}
