/**
 * The part of `oidc-provider` (v9, which ships no types) that the development
 * identity provider uses. Shapes follow the library's `lib/helpers/defaults.js`
 * and `lib/provider.js`; extend this file rather than casting at call sites.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { JWK } from 'jose';

  export type UnknownObject = Record<string, unknown>;

  /** The adapter contract every stored model (sessions, grants, codes, tokens) goes through. */
  export interface AdapterPayload extends UnknownObject {
    jti?: string;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
    exp?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Client {
    clientId: string;
    clientName?: string;
    clientAuthMethod: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface Session {
    accountId?: string;
  }

  /** Access tokens, client-credentials tokens and refresh tokens as the hooks see them. */
  export interface Token {
    kind: string;
    jti: string;
    clientId: string;
    accountId?: string;
    scope?: string;
    readonly scopes: Set<string>;
  }

  export interface GrantSource {
    readonly scopes: Set<string>;
    accountId?: string;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly client?: Client;
    readonly session?: Session;
    readonly params?: UnknownObject;
    readonly entities: UnknownObject;
    urlFor(name: string, options?: UnknownObject): string;
  }

  /** The Koa context the hooks receive; only what this project touches. */
  export interface KoaContextWithOIDC {
    oidc: OIDCContext;
    body: unknown;
    type: string;
    status: number;
    readonly method: string;
    readonly path: string;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface AccountClaims extends UnknownObject {
    sub: string;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<AccountClaims> | AccountClaims;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export interface ClientMetadata extends UnknownObject {
    client_id: string;
    client_secret?: string;
    client_name?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    token_endpoint_auth_method?: string;
    application_type?: 'web' | 'native';
  }

  export interface ErrorOut {
    error: string;
    error_description?: string;
  }

  type Ttl<T = Token> = number | ((ctx: KoaContextWithOIDC, token: T, client: Client) => number);

  export interface Configuration {
    adapter?: (name: string) => Adapter;
    clients?: ClientMetadata[];
    clientDefaults?: UnknownObject;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    cookies?: { keys?: string[]; long?: UnknownObject; short?: UnknownObject };
    jwks?: { keys: JWK[] };
    findAccount?: (
      ctx: KoaContextWithOIDC,
      sub: string,
      token?: unknown,
    ) => Promise<Account | undefined>;
    extraTokenClaims?: (
      ctx: KoaContextWithOIDC,
      token: Token,
    ) => Promise<UnknownObject | undefined>;
    issueRefreshToken?: (
      ctx: KoaContextWithOIDC,
      client: Client,
      source: GrantSource,
    ) => Promise<boolean>;
    rotateRefreshToken?: boolean | ((ctx: KoaContextWithOIDC) => boolean);
    renderError?: (ctx: KoaContextWithOIDC, out: ErrorOut, error: Error) => Promise<void>;
    interactions?: {
      url?: (ctx: KoaContextWithOIDC, interaction: { uid: string }) => Promise<string> | string;
    };
    ttl?: Record<string, Ttl>;
    features?: {
      devInteractions?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean };
      pushedAuthorizationRequests?: { enabled: boolean };
      userinfo?: { enabled: boolean };
      clientCredentials?: { enabled: boolean };
      deviceFlow?: {
        enabled: boolean;
        charset?: 'base-20' | 'digits';
        mask?: string;
        userCodeInputSource?: (
          ctx: KoaContextWithOIDC,
          form: string,
          out: ErrorOut | undefined,
          err: (Error & { userCode?: string }) | undefined,
        ) => Promise<void>;
        userCodeConfirmSource?: (
          ctx: KoaContextWithOIDC,
          form: string,
          client: Client,
          deviceInfo: UnknownObject,
          userCode: string,
        ) => Promise<void>;
        successSource?: (ctx: KoaContextWithOIDC) => Promise<void>;
      };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (
          ctx: KoaContextWithOIDC,
          client: Client,
          oneOf?: string[],
        ) => Promise<string | string[] | undefined>;
        useGrantedResource?: (ctx: KoaContextWithOIDC, model: unknown) => Promise<boolean>;
        getResourceServerInfo?: (
          ctx: KoaContextWithOIDC,
          resourceIndicator: string,
          client: Client,
        ) => Promise<ResourceServerInfo>;
      };
      introspection?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: Token) => Promise<boolean>;
      };
      revocation?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: Token) => Promise<boolean>;
      };
    };
  }

  export interface PromptDetails {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  }

  export interface Interaction {
    uid: string;
    returnTo: string;
    prompt: { name: string; reasons: string[]; details: PromptDetails };
    params: UnknownObject & { client_id: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
  }

  export interface InteractionResult {
    login?: { accountId: string; amr?: string[]; remember?: boolean };
    consent?: { grantId: string };
    error?: string;
    error_description?: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    static find(id: string): Promise<Grant | undefined>;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: typeof Grant;
    /** Koa: answers plain Node HTTP requests. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Koa middleware that runs around the provider's own routing. */
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
    SessionNotFound: new (description?: string) => Error;
  };

  export default Provider;
}
