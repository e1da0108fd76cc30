import { BaseCommand } from '../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { configDir, gatewayUrl } from '../cli/settings.js';
import { openTokenStore } from '../cli/token-store.js';

export default class Logout extends BaseCommand {
  static override description =
    'Revoke the stored login where the identity provider allows it, and delete the stored tokens';

  static override examples = ['<%= config.bin %> logout'];

  static override flags = { ...gatewayFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Logout);
    const gateway = gatewayUrl(flags.gateway);
    const store = await openTokenStore(configDir());
    const login = await store.load(gateway);
    if (!login) {
      process.stderr.write(`Not logged in to ${gateway}.\n`);
      if (flags.json)
        this.log(JSON.stringify({ gateway, loggedOut: false, revoked: false }, null, 2));
      return;
    }
    let revoked = false;
    if (login.refreshToken) {
      try {
        const { discover, revoke } = await import('../cli/oidc-client.js');
        revoked = await revoke(await discover({ ...login, scopes: [] }), login.refreshToken);
      } catch {
        // The provider is unreachable: still forget the tokens locally.
      }
    }
    await store.remove(gateway);
    process.stderr.write(
      `Logged out of ${gateway}${revoked ? '; the login was revoked at the identity provider' : '; the stored tokens were deleted (the identity provider did not revoke them)'}.\n`,
    );
    if (process.env.HOOP_TOKEN)
      process.stderr.write('Note: HOOP_TOKEN is set and still authenticates your commands.\n');
    if (flags.json) this.log(JSON.stringify({ gateway, loggedOut: true, revoked }, null, 2));
  }
}
