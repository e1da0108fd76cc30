import { HoopError } from '../../lib/errors.js';
import { dial } from '../../tunnel/index.js';
import { resolveCredentials } from '../credentials.js';
import { GatewayClient, type ConnectionInfo } from '../gateway-client.js';
import { startTokenRefresher } from '../token-refresher.js';
import { queryOverTunnel, type ExecResult } from './postgres.js';
import { PgTunnelSocket } from './tunnel-socket.js';

export interface ExecOptions {
  /** The gateway URL (`gatewayUrl()`). */
  gateway: string;
  /** The connection's name. */
  name: string;
  /** The request: SQL, possibly several statements. */
  input: string;
  env?: NodeJS.ProcessEnv;
  /** Run the statement this review approved (`?review=ID` on the tunnel URL). */
  review?: string;
  /** Wait for a review the statement needs; otherwise the gateway answers at once (`?hold=false`). */
  wait?: boolean;
  /** Notices from the target, and the CLI's own warnings, for stderr. */
  onNotice?: (severity: string, message: string) => void;
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
): Promise<{ connection: ConnectionInfo; results: ExecResult[] }> {
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
    let connection: ConnectionInfo;
    try {
      connection = await client.connection(options.name);
      if (connection.type !== 'postgres') {
        throw new HoopError(
          'HOOP_USAGE',
          `hoop exec supports postgres connections only for now; ${connection.name} is ${connection.type}`,
          { hint: `Use \`hoop connect ${connection.name}\` and a ${connection.type} client.` },
        );
      }
    } catch (error) {
      dialing.then(
        (ws) => ws.terminate(),
        () => {},
      );
      throw error;
    }
    const ws = await dialing;
    socket = new PgTunnelSocket(ws, { vanished: 'gateway_vanished' });
    const results = await queryOverTunnel({
      socket,
      // Without a configured database the gateway uses the one asked for; PostgreSQL's default is the user's name.
      database: connection.database ?? 'hoop',
      sql: options.input,
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    });
    return { connection, results };
  } finally {
    refresher.stop();
    socket?.destroy();
  }
}
