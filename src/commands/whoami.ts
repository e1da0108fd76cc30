import { BaseCommand } from '../cli/base-command.js';
import { resolveCredentials } from '../cli/credentials.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { GatewayClient } from '../cli/gateway-client.js';
import { formatDuration } from '../lib/duration.js';
import { asAuthMethod, principalName } from '../lib/principal.js';
import { gatewayUrl } from '../cli/settings.js';

interface GatewayIdentity {
  subject: string;
  name: string;
  kind: string;
  method: string;
  groups: string[];
  email?: string;
  expiresAt?: string;
  actors?: string[];
}

export default class Whoami extends BaseCommand {
  static override description =
    'Show who you are as the gateway sees you: subject, groups, token expiry';

  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --json'];

  static override flags = { ...gatewayFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Whoami);
    const gateway = gatewayUrl(flags.gateway);
    const credentials = await resolveCredentials(gateway);
    const identity = await new GatewayClient(gateway, credentials.token).get<GatewayIdentity>(
      '/api/whoami',
    );
    // The caller in one string whatever its kind: what `users:` and `--user` take to name it.
    const principal = principalName({
      method: asAuthMethod(identity.method),
      subject: identity.subject,
    });
    if (flags.json) {
      this.log(
        JSON.stringify({ gateway, source: credentials.source, ...identity, principal }, null, 2),
      );
      return;
    }
    const rows: [string, string][] = [
      ['gateway', gateway],
      ['subject', identity.subject],
      ...(principal ? [['principal', principal] as [string, string]] : []),
      ['name', identity.name],
      [
        'kind',
        `${identity.kind} (${identity.method}${credentials.source === 'HOOP_TOKEN' ? ', from HOOP_TOKEN' : ''})`,
      ],
      ['groups', identity.groups.join(', ') || '(none)'],
    ];
    if (identity.email) rows.push(['email', identity.email]);
    if (identity.actors?.length) rows.push(['acting via', identity.actors.join(' ← ')]);
    if (identity.expiresAt) {
      const left = Date.parse(identity.expiresAt) - Date.now();
      rows.push([
        'expires',
        `${identity.expiresAt} (${left > 0 ? `in ${formatDuration(Math.round(left / 1000) * 1000)}` : 'expired'})`,
      ]);
    }
    const width = Math.max(...rows.map(([key]) => key.length));
    this.log(rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n'));
  }
}
