import { Args, Flags } from '@oclif/core';
import { adviceFor } from '../cli/advice.js';
import { BaseCommand } from '../cli/base-command.js';
import { connectHint } from '../cli/connect-hint.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { fetchAuthConfig } from '../cli/auth-config.js';
import { resolveCredentials } from '../cli/credentials.js';
import { GatewayClient } from '../cli/gateway-client.js';
import { configDir, gatewayUrl } from '../cli/settings.js';
import { startTokenRefresher } from '../cli/token-refresher.js';
import { waitForSignal } from '../cli/signals.js';
import { HoopError } from '../lib/errors.js';
import { CLOSE_REASONS, dial, startLocalListener } from '../tunnel/index.js';

export default class Connect extends BaseCommand {
  static override description =
    'Open a local listener that tunnels each TCP connection to NAME through the gateway; stays up until Ctrl-C';

  static override examples = [
    '<%= config.bin %> connect pg-prod',
    '<%= config.bin %> connect pg-prod --port 15432',
    '<%= config.bin %> connect echo --bind 0.0.0.0',
    '<%= config.bin %> connect pg-prod --no-tls',
  ];

  static override args = { name: Args.string({ description: 'connection name', required: true }) };

  static override flags = {
    ...gatewayFlags,
    port: Flags.integer({
      char: 'p',
      description: 'local port (default: by type, e.g. postgres 5433, tcp 8999)',
      min: 0,
      max: 65535,
    }),
    bind: Flags.string({ description: 'local address to listen on', default: '127.0.0.1' }),
    tls: Flags.boolean({
      description:
        'postgres: answer SSLRequest and serve TLS locally with a certificate signed by a CA kept in $HOOP_CONFIG_DIR/tls (--no-tls: answer N, as without)',
      default: true,
      allowNo: true,
    }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Connect);
    const gateway = gatewayUrl(flags.gateway);
    // A person's session must start with a recently issued token (the gateway
    // counts its revocation window from the token's issue time), so refresh now.
    const credentials = await resolveCredentials(gateway, process.env, { forceRefresh: true });
    const client = new GatewayClient(gateway, credentials.token);
    // Ask first: a wrong name, token or permission fails now, with its exit code, not on the first connection.
    const connection = await client.connection(args.name);
    let lastRefreshError: string | undefined;
    const refresher = startTokenRefresher({
      gateway,
      initial: credentials,
      ...(credentials.source === 'login' ? await revocationWindow(gateway) : {}),
      onToken: (token) => {
        lastRefreshError = undefined;
        listener.sendToken(token);
      },
      // Once per failure, not at every retry, with what to do about it.
      onError: (error) => {
        if (error.message === lastRefreshError) return;
        lastRefreshError = error.message;
        const advice = error instanceof HoopError ? `\n${adviceFor(error)}` : '';
        process.stderr.write(`Could not refresh your login: ${error.message}${advice}\n`);
      },
    });
    // TLS ends here, on this machine; the tunnel (wss:// to a TLS gateway) carries the rest.
    const tls =
      connection.type === 'postgres' && flags.tls
        ? await (await import('../cli/local-tls/index.js')).postgresTls(configDir())
        : undefined;
    const listener = await startLocalListener({
      host: flags.bind,
      port: flags.port ?? connection.localPort,
      ...(tls ? { prepare: tls.prepare } : {}),
      dial: () => dial({ url: client.tunnelUrl(connection.name), token: refresher.token() }),
      onTunnelClosed: ({ client: peer, result, error }) => {
        if (error) process.stderr.write(`${peer}: tunnel not opened: ${error.message}\n`);
        else if (result && !['done', 'client_closed', 'target_closed'].includes(result.reason)) {
          const detail = result.detail ? ` (${result.detail})` : '';
          process.stderr.write(
            `${peer}: connection closed: ${CLOSE_REASONS[result.reason].text}${detail}\n`,
          );
        }
      },
    });
    const { address, port } = listener.address;
    const host = address.includes(':') ? `[${address}]` : address;
    const hint = connectHint(
      connection,
      address === '0.0.0.0' || address === '::' ? '127.0.0.1' : host,
      port,
    );
    // With --json the one line a script reads is on stdout; the people's lines go to stderr.
    const say = flags.json
      ? (line: string) => process.stderr.write(`${line}\n`)
      : (line: string) => this.log(line);
    say(
      `Forwarding ${host}:${port} to ${connection.name} (${connection.type}) through ${client.baseUrl}`,
    );
    say(`Connect with: ${hint}`);
    if (tls) {
      if (tls.created) process.stderr.write(`Created a local CA for TLS: ${tls.caFile}\n`);
      say(
        `Local TLS: sslmode=require works; to verify the server too: sslmode=verify-full sslrootcert=${tls.caFile}`,
      );
    }
    if (flags.json) {
      this.log(
        JSON.stringify({
          connection: connection.name,
          type: connection.type,
          address,
          port,
          gateway: client.baseUrl,
          connect: hint,
          tls: tls ? { caFile: tls.caFile } : null,
        }),
      );
    }
    process.stderr.write('Press Ctrl-C to stop.\n');
    await waitForSignal();
    refresher.stop();
    await listener.close();
  }
}

/** How often the gateway wants fresh tokens for people's sessions; none when it has no identity provider. */
async function revocationWindow(gateway: string): Promise<{ revocationWindowSeconds?: number }> {
  try {
    const auth = await fetchAuthConfig(gateway);
    return auth.revocationWindowSeconds === undefined
      ? {}
      : { revocationWindowSeconds: auth.revocationWindowSeconds };
  } catch {
    return {};
  }
}
