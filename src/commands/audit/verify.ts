import { Args, Flags } from '@oclif/core';
import { verifyText } from '../../cli/audit-verify.js';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { HoopError } from '../../lib/errors.js';

export default class AuditVerify extends BaseCommand {
  static override description =
    'Prove the audit record intact: recompute every session’s hash chain and check the gateway’s ' +
    'Ed25519 signatures, reading the store the config names; any altered, removed, reordered or ' +
    'inserted event is reported with its session and seq (exit 1)';

  static override examples = [
    '<%= config.bin %> audit verify --config hoop.yaml',
    '<%= config.bin %> audit verify ses_01HX… --public-key gateway.pub --json',
  ];

  static override args = {
    id: Args.string({ description: 'only this session (default: every session)' }),
  };

  static override flags = {
    ...jsonFlag,
    config: Flags.string({
      char: 'c',
      description: 'the gateway config file (names the store and the signing key)',
      default: 'hoop.yaml',
      env: 'HOOP_SERVER_CONFIG',
      helpValue: 'FILE',
    }),
    'public-key': Flags.string({
      description:
        'verify with this public key (PEM, from `hoop audit public-key`) instead of the config’s',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditVerify);
    const { verifyAudit } = await import('../../server/entry/audit-tools.js');
    const result = await verifyAudit({
      configFile: flags.config,
      ...(args.id === undefined ? {} : { sessionId: args.id }),
      ...(flags['public-key'] === undefined ? {} : { publicKeyFile: flags['public-key'] }),
    });
    if (flags.json) {
      this.log(JSON.stringify(result, null, 2));
      if (!result.intact) this.exit(1);
      return;
    }
    if (result.intact) {
      this.log(verifyText(result));
      return;
    }
    this.log(verifyText(result));
    throw new HoopError(
      'HOOP_AUDIT_TAMPERED',
      `the audit record does not verify: ${result.problems.length} problem(s)`,
      {
        hint: 'Each line above names the session and seq; restore the store from a backup and investigate.',
      },
    );
  }
}
