import { z } from 'zod';

import { parseDuration } from '../../lib/duration.js';
import { parseListen } from './listen.js';
import { LOG_LEVELS, type ConnectionType } from './types.js';

/*
 * The shape of `hoop.yaml` (DESIGN.md). Every object is strict, so a misspelt
 * key is an error rather than a setting silently ignored. Messages that start
 * with "expected" get ", got <what the file says>" appended where the problem
 * is reported (see issues.ts), because only the file's text, not the value with
 * its secrets resolved, may be shown. Defaults are applied after validation,
 * in build.ts.
 */

/** Connection and API key names: what `hoop connect NAME` and policies refer to. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;

const KEY_HASH = /^sha256:[0-9a-f]{64}$/;

function text(what: string) {
  const error = `expected ${what}`;
  return z.string({ error }).min(1, { error });
}

/** A whole number, also accepted as digits in a string (what `${env:PORT}` yields). */
function integer(min: number, max: number, what: string) {
  const error = `expected ${what}`;
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
}

/** `true`/`false`, also accepted as those words in a string. */
function flag() {
  return z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'expected true or false' }),
  );
}

const name = z.string({ error: 'expected a name' }).regex(NAME_PATTERN, {
  error: 'expected a name of letters, digits, ".", "_" and "-" that starts with a letter or digit',
});

const group = text('a group name');

const port = integer(1, 65_535, 'a number from 1 to 65535');

const bytes = integer(1, Number.MAX_SAFE_INTEGER, 'a positive whole number of bytes');

const duration = z.string({ error: 'expected a duration such as 30s' }).transform((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
  } catch {
    // Reported below with the one message every duration setting shares.
  }
  ctx.issues.push({ code: 'custom', input: value, message: 'expected a duration such as 30s' });
  return z.NEVER;
});

const listen = z
  .union([z.string(), z.number()], { error: 'expected host:port such as 127.0.0.1:8009' })
  .transform((value, ctx) => {
    const address = parseListen(value);
    if (typeof address !== 'string') return address;
    ctx.issues.push({ code: 'custom', input: value, message: address });
    return z.NEVER;
  });

const STORE_EXPECTED = 'expected sqlite:PATH, sqlite::memory: or a postgres:// URL';

const store = z
  .string({ error: STORE_EXPECTED })
  .refine((value) => isStoreUrl(value), { error: STORE_EXPECTED });

function isStoreUrl(value: string): boolean {
  if (value.startsWith('sqlite:')) return value.length > 'sqlite:'.length;
  return /^postgres(?:ql)?:\/\//.test(value) && URL.canParse(value);
}

const httpUrl = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      error: `expected ${what}`,
    });

const oidc = z.strictObject({
  issuer: httpUrl("the identity provider's URL, such as https://idp.example.com"),
  clientId: text('the OAuth client ID the CLI logs in with'),
  audience: text('the audience the access tokens are issued for').optional(),
  groupsClaim: text('the name of the token claim that lists groups').optional(),
  revocationWindow: duration.optional(),
  scopes: z
    .array(text('a scope'), { error: 'expected a list of scopes' })
    .refine((scopes) => scopes.includes('openid'), {
      error: 'expected a list of scopes that includes openid',
    })
    .optional(),
});

/**
 * Who may act for whom (RFC 8693 `act` claims): an actor (an agent's client
 * id or subject) may present tokens for the listed subjects, `*` for any.
 * No entry means no delegation is accepted.
 */
const delegation = z.strictObject({
  actors: z
    .array(text('an actor (client id or subject)'), { error: 'expected a list of actors' })
    .min(1, {
      error: 'expected at least one actor',
    }),
  subjects: z
    .array(text('a subject, or * for anyone'), { error: 'expected a list of subjects, or [*]' })
    .min(1, { error: 'expected at least one subject, or [*]' }),
});

const apiKey = z.strictObject({
  name,
  groups: z
    .array(group, { error: 'expected a list of group names, such as [agents]' })
    .min(1, { error: 'expected at least one group, or no groups key at all' })
    .optional(),
  keyHash: z.string({ error: 'expected sha256:<hex>' }).regex(KEY_HASH, {
    error: "expected sha256: followed by the key's SHA-256 in 64 lowercase hex digits",
  }),
});

/** Keys every connection has, whatever its type. */
const connectionCommon = {
  name,
  host: z
    .string({ error: 'expected a host name or IP address' })
    .regex(/^\S+$/, { error: 'expected a host name or IP address' }),
  port: port.optional(),
  groups: z
    .array(group, { error: 'expected a list of the groups that may use it, such as [engineering]' })
    .min(1, { error: 'expected at least one group: with none, nobody may use the connection' }),
};

function connection<T extends ConnectionType, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ type: z.literal(type), ...connectionCommon, ...shape });
}

const database = text('a database name').optional();
const user = text('a user name').optional();
const password = z.string({ error: 'expected a reference to a secret' }).optional();
const tls = flag().optional();

/** One variant per connection type: a setting that only one type knows is one line here. */
const connectionSchema = z.discriminatedUnion('type', [
  connection('postgres', { database, user, password, tls }),
  connection('mysql', { database, user, password, tls }),
  connection('ssh', {
    user: text('the user the gateway logs in to the host as'),
    password,
    privateKey: z
      .string({
        error: 'expected a reference to a private key, such as ${file:/etc/hoop/keys/deploy}',
      })
      .optional(),
    hostKey: z
      .string({
        error:
          'expected the target\'s host key as "ssh-ed25519 AAAA…" (print it with `hoop ssh-keyscan HOST`)',
      })
      .regex(
        /^(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|rsa-sha2-(?:256|512)) [A-Za-z0-9+/]+={0,2}(?: .*)?$/,
        {
          error:
            'expected the target\'s host key as "ssh-ed25519 AAAA…" (print it with `hoop ssh-keyscan HOST`)',
        },
      ),
  }),
  connection('http', { tls }),
  connection('tcp', { port, tls }),
]);

/**
 * Where the gateway tells people about reviews: signed JSON webhooks
 * (HMAC-SHA256, see src/server/reviews/webhook-signature.ts) and Slack-style
 * incoming webhooks (`{"text": …}`).
 */
const notifyTarget = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('webhook'),
      url: httpUrl('the URL the gateway POSTs review events to'),
      secret: text('a reference to the shared secret that signs the webhooks'),
    }),
    z.strictObject({
      type: z.literal('slack'),
      url: httpUrl('the URL of a Slack-compatible incoming webhook'),
    }),
  ],
  { error: 'expected { type: webhook, url, secret } or { type: slack, url }' },
);

const reviews = z.strictObject({
  /** How long an approved statement may wait for its one run with `hoop exec --review ID`. */
  approvedStatementTtl: duration.optional(),
  /** The longest grant `hoop reviews request --duration` may ask for. */
  maxGrantDuration: duration.optional(),
  notify: z.array(notifyTarget, { error: 'expected a list of notification targets' }).optional(),
  /** Delivery attempts per notification after the first. */
  notifyRetries: integer(0, 10, 'a whole number from 0 to 10').optional(),
});

/**
 * The audit trail: who sees every session, how long records are kept, how
 * much of each result is kept for replay, and where the gateway's signing
 * key and journal live.
 */
const audit = z.strictObject({
  /** Groups whose members see every session in `hoop audit`, not only their own. */
  auditors: z
    .array(group, { error: 'expected a list of group names, such as [security]' })
    .optional(),
  /** Sessions older than this are purged, each purge itself recorded. */
  retention: duration.optional(),
  /** The first rows of each result, as the client saw them (masked), kept for `hoop audit replay`. */
  preview: z
    .strictObject({
      rows: integer(0, 100_000, 'a whole number of rows from 0 to 100000').optional(),
      bytes: integer(0, 16 * 1024 * 1024, 'a whole number of bytes up to 16777216').optional(),
    })
    .optional(),
  /** The Ed25519 private key (PKCS #8 PEM) that signs chain heads, as `${file:…}`. */
  signingKey: text('a reference to an Ed25519 private key in PEM').optional(),
  /** The append-only journal events are durable in before the client sees their response. */
  journal: text('the path of the audit journal file').optional(),
  /** Kept of each statement's text: a longer text keeps this many bytes, its size and its SHA-256. */
  maxTextBytes: integer(
    256,
    64 * 1024 * 1024,
    'a whole number of bytes from 256 to 67108864',
  ).optional(),
  /** When the store cannot take a record: close the sessions (default) or spool records locally. */
  onStoreFailure: z.enum(['close', 'spool'], { error: 'expected close or spool' }).optional(),
  /** The local spool of `onStoreFailure: spool`, replayed into the store when it is back. */
  spool: z
    .strictObject({
      dir: text('the directory of the audit spool').optional(),
      maxBytes: bytes.optional(),
    })
    .optional(),
});

/**
 * Limits on the SQL the gateway reads from clients (each has a default and
 * its own error code, README "Limits on what the classifier reads").
 */
const sql = z.strictObject({
  maxLength: integer(1, 1024 * 1024 * 1024, 'a whole number of characters').optional(),
  maxTokens: integer(1, Number.MAX_SAFE_INTEGER, 'a whole number of tokens').optional(),
  maxDepth: integer(1, 100_000, 'a whole number of levels').optional(),
  maxNodes: integer(1, Number.MAX_SAFE_INTEGER, 'a whole number of parse-tree nodes').optional(),
  maxStatements: integer(1, 1_000_000, 'a whole number of statements').optional(),
  maxCodeDepth: integer(0, 64, 'a whole number of levels from 0 to 64').optional(),
  /** How long classifying one string off the event loop may take before it is refused. */
  parseTimeout: duration.optional(),
  /** Strings of at least this many characters are parsed on a worker thread. */
  offThreadLength: integer(0, Number.MAX_SAFE_INTEGER, 'a whole number of characters').optional(),
});

/** The SSH protocol handler: the gateway's own host key and what it accepts from clients. */
const ssh = z.strictObject({
  /** The gateway's SSH host key (OpenSSH or PEM private key) as `${file:…}`; default: generated once in the state directory. */
  hostPrivateKey: text("a reference to the gateway's SSH host private key").optional(),
  /** The longest exec command line accepted. */
  maxCommandBytes: integer(
    1,
    16 * 1024 * 1024,
    'a whole number of bytes up to 16777216',
  ).optional(),
  /** Channels one client connection may have open at once. */
  maxChannels: integer(1, 1024, 'a whole number from 1 to 1024').optional(),
  /** Authentication requests one client connection may make. */
  maxAuthAttempts: integer(1, 100, 'a whole number from 1 to 100').optional(),
  /** How long a client may take from connecting to being authenticated. */
  handshakeTimeout: duration.optional(),
  /** Terminal output recorded per session; past it the recording says it stopped. */
  maxRecordedBytes: integer(
    0,
    1024 * 1024 * 1024,
    'a whole number of bytes up to 1073741824',
  ).optional(),
});

/** What the PostgreSQL protocol handler accepts from clients. */
const postgres = z.strictObject({
  /** The largest protocol message accepted from a client (a Bind of large values, a COPY row). */
  maxMessageBytes: bytes.optional(),
  /**
   * How long what the target's catalog said (columns' names, views, function
   * bodies) is trusted: a schema change made other than through the gateway
   * is seen after this.
   */
  catalogTtl: duration.optional(),
});

/** What the MySQL protocol handler accepts from clients and targets. */
const mysql = z.strictObject({
  /** The largest packet accepted (all its parts together): the gateway's own max_allowed_packet. */
  maxPacketBytes: bytes.optional(),
});

export const configSchema = z.strictObject({
  listen: listen.optional(),
  store: store.optional(),
  auth: z
    .strictObject({
      oidc: oidc.optional(),
      apiKeys: z.array(apiKey, { error: 'expected a list of API keys' }).optional(),
      delegation: z
        .array(delegation, { error: 'expected a list of { actors, subjects }' })
        .optional(),
    })
    .optional(),
  connections: z.array(connectionSchema, { error: 'expected a list of connections' }).optional(),
  policy: z
    .union([z.string(), z.array(z.unknown())], {
      error: 'expected the path of a policy file or a list of rules',
    })
    .refine((value) => value !== '', {
      error: 'expected the path of a policy file or a list of rules',
    })
    .optional(),
  reviews: reviews.optional(),
  audit: audit.optional(),
  sql: sql.optional(),
  postgres: postgres.optional(),
  ssh: ssh.optional(),
  mysql: mysql.optional(),
  tunnel: z
    .strictObject({
      // The CLI forwards each TCP read (up to 64 KiB) as one frame.
      maxFrameBytes: integer(
        65_536,
        Number.MAX_SAFE_INTEGER,
        'a whole number of bytes, at least 65536 (one TCP read)',
      ).optional(),
      pingInterval: duration.optional(),
      maxBufferedBytes: bytes.optional(),
    })
    .optional(),
  shutdown: z
    .strictObject({
      // How long a graceful stop may take before the gateway ends what is left.
      timeout: duration.optional(),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).optional(),
    })
    .optional(),
});

export type ConfigInput = z.output<typeof configSchema>;
