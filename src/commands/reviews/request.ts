import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import { HoopError } from '../../lib/errors.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { ReviewClient } from '../../cli/review-client.js';
import { gatewayClient } from '../../cli/session.js';

export default class ReviewsRequest extends BaseCommand {
  static override description =
    'Ask for time-bound access to a connection whose policy requires an approved grant';

  static override examples = [
    '<%= config.bin %> reviews request pg-prod --duration 30m --reason "incident 42"',
  ];

  static override args = {
    connection: Args.string({ description: 'connection name', required: true }),
  };

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    duration: Flags.string({ description: 'how long access lasts once approved', required: true }),
    reason: Flags.string({ description: 'why you need it (approvers read it)', required: true }),
    wait: Flags.boolean({ description: 'wait until the request is decided', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReviewsRequest);
    const client = new ReviewClient(await gatewayClient(flags.gateway));
    let review = await client.requestGrant(args.connection, flags.duration, flags.reason);
    process.stderr.write(
      `Requested ${review.id}; an approver runs \`hoop reviews approve ${review.id}\`.\n`,
    );
    while (flags.wait && review.status === 'pending') {
      await sleep(1000);
      review = await client.show(review.id);
    }
    if (flags.json) this.log(JSON.stringify(review, null, 2));
    else this.log(`${review.id}: ${review.status}`);
    if (review.status === 'pending') this.exit(4);
    if (review.status !== 'approved') {
      throw new HoopError('HOOP_REVIEW_DECIDED', `the grant was ${review.status}`);
    }
  }
}
