import { oidcError } from './errors.js';
import { getJson, isRecord, isSecureEnough } from './http.js';

/** What the gateway uses from the provider's discovery document. */
export interface ProviderMetadata {
  issuer: string;
  jwksUri: URL;
  /** Absent when the provider has none: opaque tokens are then refused. */
  userinfoEndpoint?: URL;
}

export interface DiscoveryOptions {
  issuer: string;
  fetch: typeof fetch;
  timeoutMs: number;
  allowInsecureHttp: boolean;
}

/** OpenID Connect Discovery 1.0 §4: any terminating `/` of the issuer is removed first. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * The provider's metadata, fetched on first use and kept until the gateway
 * restarts. Concurrent callers share one request; a failure is not kept, so
 * the next request tries again (one at a time: fail closed, never hammer).
 */
export function createDiscovery(options: DiscoveryOptions): () => Promise<ProviderMetadata> {
  let metadata: ProviderMetadata | undefined;
  let pending: Promise<ProviderMetadata> | undefined;
  return () => {
    if (metadata) return Promise.resolve(metadata);
    pending ??= discover(options)
      .then((found) => (metadata = found))
      .finally(() => (pending = undefined));
    return pending;
  };
}

async function discover(options: DiscoveryOptions): Promise<ProviderMetadata> {
  const url = discoveryUrl(options.issuer);
  let response;
  try {
    response = await getJson(options.fetch, url, { timeoutMs: options.timeoutMs });
  } catch (cause) {
    throw oidcError('unavailable', `the identity provider cannot be reached (${url})`, { cause });
  }
  if (response.status !== 200) {
    throw oidcError(
      'unavailable',
      `the identity provider's discovery document answered HTTP ${response.status} (${url})`,
    );
  }
  const doc = response.body;
  if (!isRecord(doc)) {
    throw oidcError(
      'unavailable',
      `the identity provider's discovery document is not JSON (${url})`,
    );
  }
  // §4.3: the issuer in the document must be identical to the one configured,
  // or tokens from another issuer could be validated with its keys.
  if (doc['issuer'] !== options.issuer) {
    throw oidcError(
      'unavailable',
      `the identity provider's discovery document names issuer ${JSON.stringify(doc['issuer'])}, not the configured ${JSON.stringify(options.issuer)}`,
    );
  }
  const jwksUri = endpoint(doc, 'jwks_uri', url, options.allowInsecureHttp);
  if (!jwksUri) {
    throw oidcError(
      'unavailable',
      `the identity provider's discovery document has no jwks_uri (${url})`,
    );
  }
  const userinfoEndpoint = endpoint(doc, 'userinfo_endpoint', url, options.allowInsecureHttp);
  return { issuer: options.issuer, jwksUri, ...(userinfoEndpoint ? { userinfoEndpoint } : {}) };
}

function endpoint(
  doc: Record<string, unknown>,
  key: string,
  from: string,
  allowInsecureHttp: boolean,
): URL | undefined {
  const value = doc[key];
  if (value === undefined) return undefined;
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !isSecureEnough(url, allowInsecureHttp)) {
    throw oidcError(
      'unavailable',
      `the identity provider's discovery document has an unusable ${key} (${from}); it must be an https URL`,
    );
  }
  return url;
}
