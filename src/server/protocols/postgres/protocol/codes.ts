/**
 * PostgreSQL wire protocol v3 message codes.
 *
 * Formats: https://www.postgresql.org/docs/current/protocol-message-formats.html
 * Flow:    https://www.postgresql.org/docs/current/protocol-flow.html
 */

/** Type bytes of messages sent by the client (frontend). */
export const FrontendCode = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  Parse: 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse: the meaning depends on the last Authentication request. */
  Password: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
} as const;
export type FrontendCode = (typeof FrontendCode)[keyof typeof FrontendCode];

/** Type bytes of messages sent by the server (backend). */
export const BackendCode = {
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  CopyBothResponse: 0x57, // 'W'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
} as const;
export type BackendCode = (typeof BackendCode)[keyof typeof BackendCode];

/** The Int32 after 'R' (Authentication) saying which request or outcome it is. */
export const AuthCode = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;
export type AuthCode = (typeof AuthCode)[keyof typeof AuthCode];

/**
 * The Int32 after the length of an untyped start-up packet. The real protocol
 * version is major << 16 | minor; the special requests use major 1234.
 */
export const StartupCode = {
  /** Protocol 3.0 = 3 << 16. */
  ProtocolV3: 196608,
  /** 1234 << 16 | 5678 */
  CancelRequest: 80877102,
  /** 1234 << 16 | 5679 */
  SSLRequest: 80877103,
  /** 1234 << 16 | 5680 */
  GSSENCRequest: 80877104,
} as const;

/** ReadyForQuery transaction status bytes. */
export const TransactionStatus = {
  Idle: 'I',
  InTransaction: 'T',
  Failed: 'E',
} as const;
export type TransactionStatus = (typeof TransactionStatus)[keyof typeof TransactionStatus];

/**
 * ErrorResponse / NoticeResponse field type bytes and their names.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export const ErrorField = {
  S: 'severity',
  V: 'severityNonLocalized',
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  p: 'internalPosition',
  q: 'internalQuery',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  F: 'file',
  L: 'line',
  R: 'routine',
} as const;
export type ErrorFieldName = (typeof ErrorField)[keyof typeof ErrorField];
