import { Args, Flags } from '@oclif/core';
import { adviceFor } from '../cli/advice.js';
import { BaseCommand } from '../cli/base-command.js';
import { connectHint } from '../cli/connect-hint.js';
import { gatewayFlags } from '../cli/flags.js';
import { fetchAuthConfig } from '../cli/auth-config.js';
import { resolveCredentials } from '../cli/credentials.js';
import { GatewayClient } from '../cli/gateway-client.js';
import { gatewayUrl } from '../cli/settings.js';
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
    const listener = await startLocalListener({
      host: flags.bind,
      port: flags.port ?? connection.localPort,
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
    this.log(
      `Forwarding ${host}:${port} to ${connection.name} (${connection.type}) through ${client.baseUrl}`,
    );
    this.log(
      `Connect with: ${connectHint(connection, address === '0.0.0.0' || address === '::' ? '127.0.0.1' : host, port)}`,
    );
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
