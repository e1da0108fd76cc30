/**
 * A failure that ends a MySQL session, told to the client as an ERR packet
 * with this error number and SQLSTATE before the connection closes.
 */
export class MysqlSessionError extends Error {
  constructor(
    readonly errno: number,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'MysqlSessionError';
  }
}
