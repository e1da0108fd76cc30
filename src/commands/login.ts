import { Flags } from '@oclif/core';
import { fetchAuthConfig } from '../cli/auth-config.js';
import { BaseCommand } from '../cli/base-command.js';
import { openBrowser } from '../cli/browser.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { GatewayClient } from '../cli/gateway-client.js';
import { configDir, gatewayUrl } from '../cli/settings.js';
import { openTokenStore } from '../cli/token-store.js';

export default class Login extends BaseCommand {
  static override description =
    "Log in through the gateway's identity provider with the OAuth device code flow (RFC 8628)";

  static override examples = [
    '<%= config.bin %> login',
    '<%= config.bin %> login --gateway https://hoop.example.com --no-browser',
  ];

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    'no-browser': Flags.boolean({
      description:
        'do not open a browser; print the URL and code to open on any device (a laptop, a phone)',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Login);
    const gateway = gatewayUrl(flags.gateway);
    const auth = await fetchAuthConfig(gateway);
    // openid-client loads only for this command, not at every CLI start.
    const { discover, startDeviceAuthorization, waitForDeviceAuthorization } =
      await import('../cli/oidc-client.js');
    const oidc = await discover(auth);
    const device = await startDeviceAuthorization(oidc, auth);
    const url = device.verification_uri_complete ?? device.verification_uri;
    process.stderr.write(`To log in, open ${url}\nand confirm the code: ${device.user_code}\n`);
    if (!flags['no-browser'] && openBrowser(url)) {
      process.stderr.write('(opened in your browser)\n');
    } else {
      // Over SSH or in a container: the device flow lets any other device finish the login.
      process.stderr.write(
        '(on any device with a browser: this machine needs none; the code expires in a few minutes)\n',
      );
    }
    process.stderr.write('Waiting for approval…\n');
    const tokens = await waitForDeviceAuthorization(oidc, device, auth);
    const store = await openTokenStore(configDir());
    await store.save({
      gateway,
      issuer: auth.issuer,
      clientId: auth.clientId,
      ...(auth.audience ? { audience: auth.audience } : {}),
      ...tokens,
    });
    const identity = await new GatewayClient(gateway, tokens.accessToken).get<{
      subject: string;
      name: string;
      groups: string[];
    }>('/api/whoami');
    const groups = identity.groups.length ? identity.groups.join(', ') : 'none';
    process.stderr.write(
      `Logged in to ${gateway} as ${identity.name} (groups: ${groups}); tokens kept in ${store.location}.\n`,
    );
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            gateway,
            subject: identity.subject,
            name: identity.name,
            groups: identity.groups,
            tokenStore: { kind: store.kind, location: store.location },
          },
          null,
          2,
        ),
      );
    }
  }
}
