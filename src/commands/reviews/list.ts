import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { ReviewClient, reviewTable } from '../../cli/review-client.js';
import { gatewayClient } from '../../cli/session.js';

export default class ReviewsList extends BaseCommand {
  static override description =
    'List the reviews waiting for you to decide (or, with --mine, your own requests); `hoop reviews` alone does the same';

  static override examples = [
    '<%= config.bin %> reviews list',
    '<%= config.bin %> reviews list --mine --json',
  ];

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    mine: Flags.boolean({ description: 'your own requests, newest first', default: false }),
  };

  async run(): Promise<void> {
    // `hoop reviews` (src/commands/reviews/index.ts) runs this same code with its own help.
    const { flags } = await this.parse(this.constructor as typeof ReviewsList);
    const reviews = await new ReviewClient(await gatewayClient(flags.gateway)).list(flags.mine);
    if (flags.json) {
      this.log(JSON.stringify(reviews, null, 2));
      return;
    }
    if (reviews.length === 0) {
      process.stderr.write(flags.mine ? 'You have no reviews.\n' : 'Nothing waits for you.\n');
      return;
    }
    this.log(reviewTable(reviews));
  }
}
