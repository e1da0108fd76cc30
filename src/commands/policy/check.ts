import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { HoopError } from '../../lib/errors.js';
import {
  formatFindings,
  lintContext,
  lintPolicy,
  loadPolicySource,
} from '../../server/entry/policy-tools.js';

export default class PolicyCheck extends BaseCommand {
  static override description =
    'Validate a policy file and lint it for drift: rules that never match, shadowed rules, allows a deny takes, unknown names';

  static override examples = [
    '<%= config.bin %> policy check policy.yaml',
    '<%= config.bin %> policy check --config hoop.yaml --strict',
    '<%= config.bin %> policy check policy.yaml --json',
  ];

  static override args = {
    file: Args.string({
      description: "policy file (default: the config's policy, or ./policy.yaml)",
    }),
  };

  static override flags = {
    ...jsonFlag,
    config: Flags.string({
      description: 'gateway config: check names against its connections, groups and API keys',
      helpValue: 'FILE',
    }),
    strict: Flags.boolean({ description: 'exit 1 on warnings too', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PolicyCheck);
    let source;
    try {
      source = await loadPolicySource(args.file, flags.config);
    } catch (error) {
      if (!(error instanceof HoopError) || error.code !== 'HOOP_POLICY_INVALID') throw error;
      if (flags.json) {
        this.log(
          JSON.stringify(
            {
              file: error.details?.file,
              valid: false,
              errors: error.details?.problems ?? [{ message: error.message }],
              findings: [],
            },
            null,
            2,
          ),
        );
        this.exit(1);
      }
      throw new HoopError('HOOP_POLICY_CHECK_FAILED', error.message, {
        cause: error,
        ...(error.details === undefined ? {} : { details: error.details }),
        hint: 'Fix the policy at the places named above.',
      });
    }
    const findings = lintPolicy(source.policy.rules, lintContext(source));
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    const failed = flags.strict && warnings > 0;
    if (flags.json) {
      const lines = (i: number) => source.lines[i];
      this.log(
        JSON.stringify(
          {
            file: source.file,
            valid: true,
            hash: source.policy.hash,
            errors: [],
            findings: findings.map((f) => ({ ...f, line: lines(f.index) })),
          },
          null,
          2,
        ),
      );
      if (failed) this.exit(1);
      return;
    }
    this.log(formatFindings(source.file, source.policy.rules.length, findings, source.lines));
    if (failed) {
      throw new HoopError(
        'HOOP_POLICY_CHECK_FAILED',
        `${source.file}: ${warnings} warning(s) with --strict`,
        {
          hint: 'Fix the rules named above, or run without --strict.',
        },
      );
    }
  }
}
