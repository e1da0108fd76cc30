import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { formatTable } from '../../cli/output.js';
import { describeRequester, ReviewClient } from '../../cli/review-client.js';
import { gatewayClient } from '../../cli/session.js';

export default class Reviews extends BaseCommand {
  static override description =
    'List the reviews waiting for you to decide (or, with --mine, your own requests)';

  static override examples = [
    '<%= config.bin %> reviews',
    '<%= config.bin %> reviews --mine --json',
  ];

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    mine: Flags.boolean({ description: 'your own requests, newest first', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Reviews);
    const reviews = await new ReviewClient(await gatewayClient(flags.gateway)).list(flags.mine);
    if (flags.json) {
      this.log(JSON.stringify(reviews, null, 2));
      return;
    }
    if (reviews.length === 0) {
      process.stderr.write(flags.mine ? 'You have no reviews.\n' : 'Nothing waits for you.\n');
      return;
    }
    this.log(
      formatTable(
        ['id', 'kind', 'status', 'requester', 'connection', 'rule', 'request'],
        reviews.map((r) => [
          r.id,
          r.kind,
          r.status,
          describeRequester(r),
          r.connection,
          r.requirement.rule,
          (r.text ?? r.reason ?? '').slice(0, 60),
        ]),
      ),
    );
  }
}
