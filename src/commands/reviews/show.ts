import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { describeReview, ReviewClient } from '../../cli/review-client.js';
import { gatewayClient } from '../../cli/session.js';

export default class ReviewsShow extends BaseCommand {
  static override description = 'Show one review: what it asks, who asked, the votes';

  static override examples = ['<%= config.bin %> reviews show rev_01h…'];

  static override args = { id: Args.string({ description: 'review ID', required: true }) };

  static override flags = { ...gatewayFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReviewsShow);
    const review = await new ReviewClient(await gatewayClient(flags.gateway)).show(args.id);
    if (flags.json) this.log(JSON.stringify(review, null, 2));
    else process.stdout.write(describeReview(review));
  }
}
