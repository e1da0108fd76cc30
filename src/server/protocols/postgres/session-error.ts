/**
 * A failure that ends a PostgreSQL session before or outside a statement,
 * reported to the client as an ErrorResponse with this SQLSTATE (Appendix A of
 * the PostgreSQL manual), severity FATAL. `refusal` marks a start-up the
 * gateway (or the target, for a client's own setting) declined on purpose
 * (another database, a refused setting): the session is recorded as
 * `startup_refused`, not as a broken protocol.
 */
export class PostgresSessionError extends Error {
  readonly refusal: boolean;

  constructor(
    readonly sqlState: string,
    message: string,
    options: { refusal?: boolean } = {},
  ) {
    super(message);
    this.name = 'PostgresSessionError';
    this.refusal = options.refusal ?? false;
  }
}
