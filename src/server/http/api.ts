import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoopError } from '../../lib/errors.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Connections } from '../connections.js';
import type { OidcConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { PolicyStatus } from '../policy/index.js';
import type { Store } from '../store/index.js';
import { auditRoutes, type AuditApi } from './audit-routes.js';
import { decodeSegment, requestPath } from './path.js';
import { reviewRoutes, type ReviewApi } from './review-routes.js';
import type { Route } from './route.js';
import { sendError, sendJson, toHoopError } from './respond.js';
import { sendStreamed, Streamed } from './streamed.js';

export interface ApiDependencies {
  authenticate: Authenticator;
  connections: Connections;
  store: Store;
  log: Logger;
  /** The identity provider `hoop login` uses; absent when the gateway has none. */
  oidc?: OidcConfig;
  /** The audit endpoints (`/api/sessions…`, `/api/audit/…`); absent in gateways built without them. */
  audit?: AuditApi;
  /** The policy in force and its last reload (`GET /api/policy`); absent without a policy. */
  policy?: () => PolicyStatus | undefined;
  /** The review endpoints (`/api/reviews…`); absent when the gateway has no policy. */
  reviews?: ReviewApi;
}

/**
 * The gateway's JSON API. Every route but `/healthz`, `/api/auth/config` and
 * the tunnel's "upgrade required" answer needs a bearer token; errors are
 * `{"error": {"code", "message", "hint"}}` with the code's status.
 */
export function createApi(
  deps: ApiDependencies,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Route[] = [
    {
      // What `hoop login` needs before it has a token: which provider, which client.
      method: 'GET',
      path: /^\/api\/auth\/config$/,
      public: true,
      handle: async () => {
        const { oidc } = deps;
        if (!oidc) {
          throw new HoopError(
            'HOOP_LOGIN_UNAVAILABLE',
            'this gateway has no identity provider configured',
            {
              hint: 'Authenticate with an API key in HOOP_TOKEN, or ask an administrator to configure auth.oidc.',
            },
          );
        }
        return [
          200,
          {
            issuer: oidc.issuer,
            clientId: oidc.clientId,
            scopes: oidc.scopes,
            // The CLI refreshes open tunnels' tokens well within this window.
            revocationWindowSeconds: oidc.revocationWindowMs / 1000,
            ...(oidc.audience === undefined ? {} : { audience: oidc.audience }),
          },
        ];
      },
    },
    {
      method: 'GET',
      path: /^\/healthz$/,
      public: true,
      handle: async () => {
        try {
          await deps.store.ping();
          return [200, { status: 'ok', store: 'ok', ...policyHealth(deps) }];
        } catch (error) {
          deps.log.warn({ err: error, event: 'health_store_unavailable' }, 'store ping failed');
          const unavailable = new HoopError(
            'HOOP_STORE_UNAVAILABLE',
            'the session store cannot be reached',
          );
          return [503, { status: 'unavailable', store: 'unavailable', ...unavailable.toJSON() }];
        }
      },
    },
    {
      // The policy in force (its hash is on every audit event) and whether the last reload was refused.
      method: 'GET',
      path: /^\/api\/policy$/,
      handle: async () => {
        const status = deps.policy?.();
        if (status === undefined) {
          throw new HoopError('HOOP_NOT_FOUND', 'this gateway has no policy');
        }
        return [200, status];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/whoami$/,
      handle: async ({ identity }) => [200, identity],
    },
    {
      method: 'GET',
      path: /^\/api\/connections$/,
      handle: async ({ identity }) => [200, { connections: deps.connections.listFor(identity) }],
    },
    {
      method: 'GET',
      path: /^\/api\/connections\/([^/]+)$/,
      handle: async ({ identity, params }) => [
        200,
        deps.connections.describe(decodeSegment(params[0] ?? ''), identity),
      ],
    },
    {
      // Reached only without an `Upgrade` header; says so before asking who is calling,
      // since nothing here depends on the caller.
      method: 'GET',
      path: /^\/api\/tunnel\/([^/]+)$/,
      public: true,
      handle: async () => {
        throw new HoopError('HOOP_BAD_REQUEST', 'the tunnel endpoint needs a WebSocket upgrade', {
          hint: 'Open tunnels with `hoop connect NAME`.',
        });
      },
    },
    ...(deps.reviews ? reviewRoutes(deps.reviews) : []),
    ...(deps.audit ? auditRoutes(deps.audit) : []),
  ];

  return (req, res) => {
    let pathname = '?';
    const handle = async (): Promise<void> => {
      pathname = requestPath(req);
      const candidates = routes.filter((candidate) => candidate.path.test(pathname));
      const route =
        candidates.find(
          (candidate) =>
            candidate.method === req.method ||
            (req.method === 'HEAD' && candidate.method === 'GET'),
        ) ?? candidates[0];
      if (!route) {
        throw new HoopError('HOOP_NOT_FOUND', `no such endpoint: ${pathname}`, {
          hint: 'Check that HOOP_GATEWAY points at a hoop gateway.',
        });
      }
      if (req.method !== route.method && !(req.method === 'HEAD' && route.method === 'GET')) {
        const methods = candidates.flatMap((c) =>
          c.method === 'GET' ? ['GET', 'HEAD'] : [c.method],
        );
        res.setHeader('allow', methods.join(', '));
        throw new HoopError('HOOP_BAD_REQUEST', `${req.method} is not allowed on ${pathname}`);
      }
      const params = (route.path.exec(pathname) ?? []).slice(1);
      const [status, body] = route.public
        ? await route.handle({ params, req })
        : await route.handle({
            identity: await deps.authenticate(req.headers.authorization),
            params,
            req,
          });
      if (body instanceof Streamed) await sendStreamed(res, status, body, req.method === 'HEAD');
      else sendJson(res, status, body);
    };
    handle().catch((error: unknown) => {
      const hoopError = toHoopError(error);
      if (hoopError.code === 'HOOP_INTERNAL') {
        deps.log.error({ err: error, path: pathname }, 'request failed');
      }
      if (res.headersSent) res.destroy();
      else sendError(res, hoopError);
    });
  };
}

/**
 * For `/healthz`, which anyone may read: the policy's hash and whether its
 * file was last refused, never the problems (those are on `/api/policy`).
 */
function policyHealth(deps: ApiDependencies): { policy?: { hash: string; reload: string } } {
  const status = deps.policy?.();
  if (status === undefined) return {};
  return {
    policy: { hash: status.hash, reload: status.lastReload?.ok === false ? 'refused' : 'ok' },
  };
}
