import { HoopError } from '../../lib/errors.js';
import { dial } from '../../tunnel/index.js';
import { resolveCredentials } from '../credentials.js';
import { GatewayClient, type ConnectionInfo } from '../gateway-client.js';
import { ReviewClient } from '../review-client.js';
import { startTokenRefresher } from '../token-refresher.js';
import { queryMysqlOverTunnel } from './mysql.js';
import { queryOverTunnel, type ExecResult } from './postgres.js';
import { execOverSsh } from './ssh.js';
import { PgTunnelSocket } from './tunnel-socket.js';

export interface ExecOptions {
  /** The gateway URL (`gatewayUrl()`). */
  gateway: string;
  /** The connection's name. */
  name: string;
  /**
   * The request: SQL, possibly several statements. Without it, `review` must
   * be set, and the text that review approved is run.
   */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the statement this review approved (`?review=ID` on the tunnel URL). */
  review?: string;
  /** Wait for a review the statement needs; otherwise the gateway answers at once (`?hold=false`). */
  wait?: boolean;
  /** Notices from the target, and the CLI's own warnings, for stderr. */
  onNotice?: (severity: string, message: string) => void;
  /** Called with the approved text fetched for `review` when no `input` was given, before it runs. */
  onReviewText?: (text: string) => void;
  /** SSH: where the command's output goes (default: this process's stdout and stderr). */
  output?: { stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void };
}

/**
 * Runs one request on a connection through the same tunnel `hoop connect`
 * opens, so it passes the gateway's whole pipeline (auth, policy, masking,
 * recording) and is recorded as a session of its own.
 *
 * @throws HoopError before the request runs (auth, unknown connection,
 *   unsupported type, gateway down) or when the tunnel breaks; SqlError for
 *   the target's or the gateway's ErrorResponse.
 */
export async function execOnConnection(
  options: ExecOptions,
): Promise<{ connection: ConnectionInfo; results: ExecResult[]; exitStatus?: number }> {
  const env = options.env ?? process.env;
  // The gateway counts a person's session from its token's issue time, as for `hoop connect`.
  const credentials = await resolveCredentials(options.gateway, env, { forceRefresh: true });
  const client = new GatewayClient(options.gateway, credentials.token);
  let socket: PgTunnelSocket | undefined;
  // A long request outlives a login's revocation window: keep handing the gateway fresh tokens.
  const refresher = startTokenRefresher({
    gateway: options.gateway,
    initial: credentials,
    env,
    onToken: (token) => socket?.sendToken(token),
    onError: (error) =>
      options.onNotice?.('WARNING', `could not refresh your login: ${error.message}`),
  });
  try {
    // How the gateway treats a statement that needs a review (README: Reviews).
    const url = new URL(client.tunnelUrl(options.name));
    if (options.review) url.searchParams.set('review', options.review);
    else if (!options.wait) url.searchParams.set('hold', 'false');
    // The lookup and the tunnel's upgrade go out together (a round trip
    // less); the lookup's answer comes first, with the clearer error.
    const dialing = dial({ url: url.toString(), token: refresher.token() });
    // Handled here (a refusal while the lookup runs is not unhandled); awaited below.
    dialing.catch(() => {});
    // Without input, the approved text comes with the review (as `hoop reviews show` reads it).
    const approved =
      options.input === undefined ? approvedText(client, options.review, options.name) : undefined;
    approved?.catch(() => {});
    let connection: ConnectionInfo;
    let input: string;
    try {
      connection = await client.connection(options.name);
      if (
        connection.type !== 'postgres' &&
        connection.type !== 'ssh' &&
        connection.type !== 'mysql'
      ) {
        throw new HoopError(
          'HOOP_USAGE',
          `hoop exec supports postgres, mysql and ssh connections only for now; ${connection.name} is ${connection.type}`,
          { hint: `Use \`hoop connect ${connection.name}\` and a ${connection.type} client.` },
        );
      }
      input = options.input ?? (await approved!);
      if (options.input === undefined) options.onReviewText?.(input);
    } catch (error) {
      dialing.then(
        (ws) => ws.terminate(),
        () => {},
      );
      throw error;
    }
    const ws = await dialing;
    socket = new PgTunnelSocket(ws, { vanished: 'gateway_vanished' });
    if (connection.type === 'ssh') {
      if (!connection.sshHostKey) {
        throw new HoopError(
          'HOOP_INTERNAL',
          `the gateway gave no SSH host key for ${connection.name}`,
        );
      }
      const exitStatus = await execOverSsh({
        stream: socket,
        hostKey: connection.sshHostKey,
        user: connection.user ?? 'hoop',
        command: input,
        stdout: options.output?.stdout ?? ((chunk) => process.stdout.write(chunk)),
        stderr: options.output?.stderr ?? ((chunk) => process.stderr.write(chunk)),
      });
      return { connection, results: [], exitStatus };
    }
    const results =
      connection.type === 'mysql'
        ? await queryMysqlOverTunnel({ socket, database: connection.database, sql: input })
        : await queryOverTunnel({
            socket,
            // Without a configured database the gateway uses the one asked for; PostgreSQL's default is the user's name.
            database: connection.database ?? 'hoop',
            sql: input,
            ...(options.onNotice ? { onNotice: options.onNotice } : {}),
          });
    return { connection, results };
  } finally {
    refresher.stop();
    socket?.destroy();
  }
}

/**
 * The statement text review `id` approved, for `hoop exec NAME --review ID`
 * without input. Whether the approval may still be used (its status, the
 * requester, the connection) the gateway decides when the text arrives; what
 * can be told here is told more clearly here.
 *
 * @throws HoopError `HOOP_USAGE` without a review, or for a grant (it has no
 *   text); `HOOP_REVIEW_MISMATCH` for a review of another connection.
 */
async function approvedText(
  client: GatewayClient,
  id: string | undefined,
  connection: string,
): Promise<string> {
  if (id === undefined) {
    throw new HoopError('HOOP_USAGE', 'nothing to run', {
      hint: 'Pass the SQL with -i "select …", -f FILE, or on stdin.',
    });
  }
  const review = await new ReviewClient(client).show(id);
  if (review.kind !== 'statement' || review.text === undefined) {
    throw new HoopError('HOOP_USAGE', `review ${id} is a grant of access, not a statement to run`, {
      hint: `Open the connection under the grant with \`hoop connect ${review.connection}\`, or run SQL with -i.`,
    });
  }
  if (review.connection !== connection) {
    throw new HoopError(
      'HOOP_REVIEW_MISMATCH',
      `review ${id} approves a statement on ${review.connection}, not on ${connection}`,
      { hint: `Run it where it was asked: hoop exec ${review.connection} --review ${id}` },
    );
  }
  return review.text;
}
