import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { ReviewClient } from '../../cli/review-client.js';
import { gatewayClient } from '../../cli/session.js';

export default class ReviewsApprove extends BaseCommand {
  static override description = 'Approve a review you may decide';

  static override examples = [
    '<%= config.bin %> reviews approve rev_01h… --reason "checked with the on-call"',
  ];

  static override args = { id: Args.string({ description: 'review ID', required: true }) };

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    reason: Flags.string({ description: 'why (kept with your vote)', required: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReviewsApprove);
    const review = await new ReviewClient(await gatewayClient(flags.gateway)).decide(
      args.id,
      'approve',
      flags.reason,
    );
    if (flags.json) this.log(JSON.stringify(review, null, 2));
    else this.log(`${review.id}: ${review.status}`);
  }
}
