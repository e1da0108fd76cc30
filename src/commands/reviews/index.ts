import ReviewsList from './list.js';

/** `hoop reviews` alone lists, as `hoop reviews list` does. */
export default class Reviews extends ReviewsList {
  static override description =
    'List the reviews waiting for you to decide (or, with --mine, your own requests); the same as `hoop reviews list`';

  static override examples = [
    '<%= config.bin %> reviews',
    '<%= config.bin %> reviews --mine --json',
  ];
}
