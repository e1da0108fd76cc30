type OidcProviderModule = typeof import('oidc-provider');

/** What oidc-provider v9 prints once, at import, on any Node.js older than 22 LTS. */
const RUNTIME_NOTICE = 'oidc-provider WARNING: Unsupported runtime.';

let loading: Promise<OidcProviderModule> | undefined;

/**
 * Loads oidc-provider on first use, so the gateway itself never loads it.
 *
 * oidc-provider v9 supports Node.js 22 LTS and later; on Node.js 20 it works
 * (this project's tests run on 20) but prints "Unsupported runtime" through
 * `console.warn` while its module evaluates. That one line is dropped here,
 * only during the import; every other warning passes through.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes(RUNTIME_NOTICE)) return;
      warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
