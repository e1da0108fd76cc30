import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { adviceFor } from '../cli/advice.js';
import { BaseCommand } from '../cli/base-command.js';
import { connectHint } from '../cli/connect-hint.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { fetchAuthConfig } from '../cli/auth-config.js';
import { resolveCredentials } from '../cli/credentials.js';
import { GatewayClient, type ConnectionInfo } from '../cli/gateway-client.js';
import { knownHostsFile, rememberHostKey, sshConfigBlock } from '../cli/ssh-known-hosts.js';
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
    '<%= config.bin %> connect bastion --ssh-config',
    '<%= config.bin %> connect bastion --ssh-config-file ~/.ssh/config',
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
    'ssh-config': Flags.boolean({
      description: 'ssh: also print a Host block for ~/.ssh/config, so that plain `ssh NAME` works',
      default: false,
    }),
    'ssh-config-file': Flags.string({
      description:
        'ssh: append that Host block to this file (once: a block for NAME already there is kept)',
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
    const reachable = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : host;
    // SSH: the gateway's host key, learnt over the authenticated API, keeps host-key checking on.
    const ssh =
      connection.type === 'ssh' && connection.sshHostKey
        ? await sshSetup(connection, reachable, port, flags)
        : undefined;
    const hint = connectHint(
      connection,
      reachable,
      port,
      ssh ? { knownHosts: ssh.knownHosts } : {},
    );
    // With --json the one line a script reads is on stdout; the people's lines go to stderr.
    const say = flags.json
      ? (line: string) => process.stderr.write(`${line}\n`)
      : (line: string) => this.log(line);
    say(
      `Forwarding ${host}:${port} to ${connection.name} (${connection.type}) through ${client.baseUrl}`,
    );
    say(`Connect with: ${hint}`);
    if (ssh?.block && flags['ssh-config']) say(`\n${ssh.block}`);
    if (ssh?.appended) process.stderr.write(`Added Host ${connection.name} to ${ssh.appended}\n`);
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
          ...(ssh ? { knownHosts: ssh.knownHosts, sshConfig: ssh.block } : {}),
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

/**
 * Writes the gateway's SSH host key to `$HOOP_CONFIG_DIR/known_hosts` for
 * the local listener's address, and the `Host` block (appended to
 * `--ssh-config-file` when asked, unless it already names the connection).
 */
async function sshSetup(
  connection: ConnectionInfo,
  host: string,
  port: number,
  flags: { 'ssh-config-file'?: string | undefined },
): Promise<{ knownHosts: string; block: string; appended?: string }> {
  const knownHosts = knownHostsFile(configDir());
  await rememberHostKey(knownHosts, host, port, connection.sshHostKey as string);
  const block = sshConfigBlock({
    name: connection.name,
    host,
    port,
    user: connection.user,
    knownHosts,
  });
  const file = flags['ssh-config-file'];
  if (file === undefined) return { knownHosts, block };
  let existing = '';
  try {
    existing = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (new RegExp(`^Host ${connection.name}\\s*$`, 'm').test(existing)) return { knownHosts, block };
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await appendFile(file, `${existing === '' || existing.endsWith('\n') ? '' : '\n'}${block}`, {
    mode: 0o600,
  });
  return { knownHosts, block, appended: file };
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
