import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { HoopError } from '../../lib/errors.js';
import { fileErrorReason } from '../../lib/file-error.js';
import {
  configuredTypes,
  formatResults,
  initSqlParser,
  loadPolicySource,
  parseCases,
  runCases,
} from '../../server/entry/policy-tools.js';

export default class PolicyTest extends BaseCommand {
  static override description =
    "Run the table-driven cases kept beside a policy (policy.test.yaml) through the gateway's decision code";

  static override examples = [
    '<%= config.bin %> policy test policy.yaml',
    '<%= config.bin %> policy test policy.yaml --cases ci/policy.cases.yaml --config hoop.yaml',
    '<%= config.bin %> policy test --json',
  ];

  static override args = {
    file: Args.string({
      description: "policy file (default: the config's policy, or ./policy.yaml)",
    }),
  };

  static override flags = {
    ...jsonFlag,
    cases: Flags.string({
      description: 'cases file (default: the policy file with .test.yaml)',
      helpValue: 'FILE',
    }),
    config: Flags.string({
      description: 'gateway config: connection types come from it',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PolicyTest);
    const [source] = await Promise.all([
      failing(loadPolicySource(args.file, flags.config)),
      initSqlParser(),
    ]);
    const casesFile = flags.cases ?? source.path?.replace(/(\.ya?ml)?$/, '.test.yaml');
    if (casesFile === undefined) {
      throw new HoopError('HOOP_USAGE', 'the policy is inline in the config: name its cases file', {
        hint: 'Pass --cases FILE.',
      });
    }
    let text: string;
    try {
      text = await readFile(casesFile, 'utf8');
    } catch (error) {
      throw new HoopError(
        'HOOP_POLICY_CASES_INVALID',
        `${casesFile}: cannot read the cases file: ${fileErrorReason(error)}`,
        {
          cause: error,
          hint: 'Keep the cases beside the policy (policy.test.yaml) or pass --cases FILE.',
        },
      );
    }
    const configured = configuredTypes(source);
    const results = runCases(
      source.policy,
      parseCases(text, casesFile),
      configured ? { configured } : {},
    );
    const failed = results.filter((r) => !r.passed).length;
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            policy: source.file,
            cases: casesFile,
            hash: source.policy.hash,
            passed: results.length - failed,
            failed,
            results,
          },
          null,
          2,
        ),
      );
      if (failed > 0) this.exit(1);
      return;
    }
    this.log(formatResults(casesFile, results));
    if (failed > 0) {
      throw new HoopError(
        'HOOP_POLICY_TEST_FAILED',
        `${failed} of ${results.length} policy cases failed`,
        {
          hint: 'Fix the policy or the expectations named above.',
        },
      );
    }
  }
}

/** A policy that does not load fails the test run (exit 1), with its located problems. */
async function failing<T>(loading: Promise<T>): Promise<T> {
  try {
    return await loading;
  } catch (error) {
    if (!(error instanceof HoopError) || error.code !== 'HOOP_POLICY_INVALID') throw error;
    throw new HoopError('HOOP_POLICY_TEST_FAILED', error.message, {
      cause: error,
      ...(error.details === undefined ? {} : { details: error.details }),
      hint: 'Fix the policy at the places named above (`hoop policy check`).',
    });
  }
}
