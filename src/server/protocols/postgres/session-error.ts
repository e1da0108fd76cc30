/**
 * A failure that ends a PostgreSQL session before or outside a statement,
 * reported to the client as an ErrorResponse with this SQLSTATE (Appendix A of
 * the PostgreSQL manual), severity FATAL.
 */
export class PostgresSessionError extends Error {
  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'PostgresSessionError';
  }
}
