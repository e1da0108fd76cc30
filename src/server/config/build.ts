import { isAbsolute, resolve } from 'node:path';

import { parseListen } from './listen.js';
import type { ConfigInput } from './schema.js';
import {
  DEFAULTS,
  type ConnectionConfig,
  type ConnectionType,
  type GatewayConfig,
} from './types.js';

/**
 * Applies defaults to a validated config and makes its paths absolute, so the
 * gateway behaves the same whatever directory it is started from: relative
 * paths are relative to the config file, as in docker-compose and nginx.
 */
export function buildConfig(input: ConfigInput, file: string, dir: string): GatewayConfig {
  const listen = input.listen ?? parseListen(DEFAULTS.listen);
  if (typeof listen === 'string') throw new Error(`bad default listen address: ${listen}`);

  const oidc = input.auth?.oidc;
  return {
    file,
    listen,
    store: resolveStore(input.store ?? DEFAULTS.store, dir),
    auth: {
      ...(oidc && {
        oidc: {
          issuer: oidc.issuer,
          clientId: oidc.clientId,
          ...(oidc.audience !== undefined && { audience: oidc.audience }),
          groupsClaim: oidc.groupsClaim ?? DEFAULTS.groupsClaim,
          scopes: oidc.scopes ?? [...DEFAULTS.scopes],
          revocationWindowMs: oidc.revocationWindow ?? DEFAULTS.revocationWindowMs,
        },
      }),
      delegation: (input.auth?.delegation ?? []).map((rule) => ({
        actors: rule.actors,
        subjects: rule.subjects,
      })),
      apiKeys: (input.auth?.apiKeys ?? []).map((key) => ({
        name: key.name,
        groups: key.groups ?? [],
        keyHash: key.keyHash,
      })),
    },
    connections: (input.connections ?? []).map(buildConnection),
    ...(input.policy !== undefined && {
      policy: typeof input.policy === 'string' ? resolve(dir, input.policy) : input.policy,
    }),
    tunnel: {
      maxFrameBytes: input.tunnel?.maxFrameBytes ?? DEFAULTS.tunnel.maxFrameBytes,
      pingIntervalMs: input.tunnel?.pingInterval ?? DEFAULTS.tunnel.pingIntervalMs,
      maxBufferedBytes: input.tunnel?.maxBufferedBytes ?? DEFAULTS.tunnel.maxBufferedBytes,
    },
    sql: {
      limits: Object.fromEntries(
        SQL_LIMIT_KEYS.flatMap((key) =>
          input.sql?.[key] === undefined ? [] : [[key, input.sql[key]]],
        ),
      ),
      parseTimeoutMs: input.sql?.parseTimeout ?? DEFAULTS.sql.parseTimeoutMs,
      offThreadLength: input.sql?.offThreadLength ?? DEFAULTS.sql.offThreadLength,
    },
    postgres: {
      maxMessageBytes: input.postgres?.maxMessageBytes ?? DEFAULTS.postgres.maxMessageBytes,
      catalogTtlMs: input.postgres?.catalogTtl ?? DEFAULTS.postgres.catalogTtlMs,
    },
    ssh: {
      ...(input.ssh?.hostPrivateKey === undefined
        ? {}
        : { hostPrivateKey: input.ssh.hostPrivateKey }),
      maxCommandBytes: input.ssh?.maxCommandBytes ?? DEFAULTS.ssh.maxCommandBytes,
      maxChannels: input.ssh?.maxChannels ?? DEFAULTS.ssh.maxChannels,
      maxAuthAttempts: input.ssh?.maxAuthAttempts ?? DEFAULTS.ssh.maxAuthAttempts,
      handshakeTimeoutMs: input.ssh?.handshakeTimeout ?? DEFAULTS.ssh.handshakeTimeoutMs,
      maxRecordedBytes: input.ssh?.maxRecordedBytes ?? DEFAULTS.ssh.maxRecordedBytes,
    },
    mysql: {
      maxPacketBytes: input.mysql?.maxPacketBytes ?? DEFAULTS.mysql.maxPacketBytes,
    },
    reviews: {
      approvedStatementTtlMs:
        input.reviews?.approvedStatementTtl ?? DEFAULTS.reviews.approvedStatementTtlMs,
      maxGrantDurationMs: input.reviews?.maxGrantDuration ?? DEFAULTS.reviews.maxGrantDurationMs,
      notify: (input.reviews?.notify ?? []).map((target) => ({ ...target })),
      notifyRetries: input.reviews?.notifyRetries ?? DEFAULTS.reviews.notifyRetries,
    },
    audit: {
      auditors: input.audit?.auditors ?? [],
      ...(input.audit?.retention !== undefined && { retentionMs: input.audit.retention }),
      preview: {
        rows: input.audit?.preview?.rows ?? DEFAULTS.audit.preview.rows,
        bytes: input.audit?.preview?.bytes ?? DEFAULTS.audit.preview.bytes,
      },
      ...(input.audit?.signingKey !== undefined && { signingKey: input.audit.signingKey }),
      ...(input.audit?.journal !== undefined && { journal: resolve(dir, input.audit.journal) }),
      onStoreFailure: input.audit?.onStoreFailure ?? 'close',
      spool: {
        dir: resolve(dir, input.audit?.spool?.dir ?? DEFAULTS.audit.spool.dir),
        maxBytes: input.audit?.spool?.maxBytes ?? DEFAULTS.audit.spool.maxBytes,
      },
      maxTextBytes: input.audit?.maxTextBytes ?? DEFAULTS.audit.maxTextBytes,
    },
    shutdown: { timeoutMs: input.shutdown?.timeout ?? DEFAULTS.shutdownTimeoutMs },
    log: { level: input.log?.level ?? DEFAULTS.logLevel },
  };
}

/** The `sql` keys that are the classifier's limits. */
const SQL_LIMIT_KEYS = [
  'maxLength',
  'maxTokens',
  'maxDepth',
  'maxNodes',
  'maxStatements',
  'maxCodeDepth',
] as const;

type ConnectionInput = NonNullable<ConfigInput['connections']>[number];

function buildConnection(input: ConnectionInput): ConnectionConfig {
  // Copies every key the variant allows, so a per-type setting needs no line here.
  const { port, ...rest } = input;
  return { ...rest, port: port ?? defaultPort(input.type, 'tls' in input && input.tls === true) };
}

function defaultPort(type: ConnectionType, tls: boolean): number {
  // The schema requires a port for tcp, the one type with no conventional port.
  if (type === 'tcp') throw new Error('a tcp connection has no default port');
  if (type === 'http' && tls) return DEFAULTS.httpsPort;
  return DEFAULTS.ports[type];
}

/** `sqlite:` paths are made absolute; `sqlite::memory:` and postgres URLs are kept. */
function resolveStore(store: string, dir: string): string {
  if (!store.startsWith('sqlite:') || store === 'sqlite::memory:') return store;
  const path = store.slice('sqlite:'.length);
  return isAbsolute(path) ? store : `sqlite:${resolve(dir, path)}`;
}
