/**
 * Why a tunnel closed. Both ends agree on these names: the gateway records
 * them on the session, sends them in the WebSocket close frame, and the CLI
 * prints them. Codes 4000–4999 are the range RFC 6455 §7.4.2 leaves to
 * applications; the others are the standard codes `ws` itself may send.
 */
export const CLOSE_REASONS = {
  /** Both sides finished cleanly. */
  done: { code: 1000, text: 'closed' },
  /** The client ended its side first, cleanly (recorded; the frame says `done`). */
  client_closed: { code: 1000, text: 'the client closed the connection' },
  /** The target ended its side first, cleanly (recorded; the frame says `done`). */
  target_closed: { code: 1000, text: 'the target closed the connection' },
  /** The gateway is shutting down. */
  gateway_shutdown: { code: 1001, text: 'the gateway is shutting down' },
  /** The CLI is shutting down (Ctrl-C on `hoop connect`). */
  client_shutdown: { code: 4000, text: 'the local listener was stopped' },
  /** The local client reset its TCP connection. */
  client_reset: { code: 4001, text: 'the local client reset the connection' },
  /** The tunnel's WebSocket went away without a close frame (process killed, network cut). */
  client_vanished: { code: 4002, text: 'the client went away' },
  /** The same, seen from the CLI: the gateway went away without a close frame (never sent). */
  gateway_vanished: { code: 4010, text: 'the gateway went away' },
  /** The target refused the TCP connection. */
  target_refused: { code: 4003, text: 'the target refused the connection' },
  /** The target reset an established connection. */
  target_reset: { code: 4004, text: 'the target reset the connection' },
  /** The target could not be reached (DNS, routing, timeout). */
  target_unreachable: { code: 4005, text: 'the target cannot be reached' },
  /** No pong arrived for a ping within the keepalive window. */
  keepalive_timeout: { code: 4006, text: 'the other side stopped answering keepalive pings' },
  /** A frame broke the tunnel protocol (bad control message, text where bytes belong). */
  protocol_error: { code: 4007, text: 'the tunnel protocol was violated' },
  /** A frame was larger than the configured maximum (ws answers such frames with 1009). */
  frame_too_large: { code: 1009, text: 'a frame exceeded the size limit' },
  /** The session could not be recorded; the gateway fails closed. */
  store_unavailable: { code: 4008, text: 'the session store is unavailable' },
  /** The caller's authorization ended (token revoked or expired). */
  unauthorized: { code: 4009, text: 'the caller is no longer authorized' },
  /** The access grant the session was opened under expired (`hoop reviews request`). */
  grant_expired: { code: 4011, text: 'the access grant expired' },
  /** The gateway refused the session at start-up (another database, a refused start-up setting). */
  startup_refused: { code: 4012, text: 'the gateway refused the session at start-up' },
  /** A multiplexed tunnel: a frame named a stream that was never opened, or one the peer had closed. */
  unknown_stream: { code: 4013, text: 'a frame named a stream that is not open' },
  /** A multiplexed tunnel: more streams opened at once than `tunnel.maxStreams`. */
  stream_limit: { code: 4014, text: 'too many streams on one tunnel' },
  /** A multiplexed tunnel: data beyond the window the receiver granted (`tunnel.streamWindowBytes`). */
  window_exceeded: { code: 4015, text: 'data exceeded the stream window' },
  /** Something unexpected failed inside the gateway or the CLI. */
  internal_error: { code: 1011, text: 'an internal error occurred' },
} as const;

export type CloseReasonName = keyof typeof CLOSE_REASONS;

/** The largest close-frame reason RFC 6455 §5.5 allows (125 bytes minus the 2-byte code). */
const MAX_REASON_BYTES = 123;

/** Encodes a close reason as the frame's reason text: `name` or `name: detail`, cut to fit. */
export function encodeCloseReason(name: CloseReasonName, detail?: string): string {
  const text = detail ? `${name}: ${detail}` : name;
  const bytes = Buffer.from(text);
  if (bytes.length <= MAX_REASON_BYTES) return text;
  // Cut on a character boundary: if the first byte left out is a UTF-8
  // continuation byte (0b10xxxxxx), the character it belongs to straddles the
  // limit, so back up to that character's first byte. (Stripping a trailing
  // U+FFFD after decoding would also eat one that was in the detail itself.)
  let end = MAX_REASON_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Decodes a received close frame back into a reason name and detail. 1005
 * and 1006 (no close frame at all) mean the peer vanished: `client_vanished`
 * unless the caller names its peer otherwise (the CLI's peer is the gateway).
 */
export function decodeCloseReason(
  code: number,
  reason: string,
  vanished: 'client_vanished' | 'gateway_vanished' = 'client_vanished',
): { name: CloseReasonName; detail?: string } {
  const separator = reason.indexOf(': ');
  const head = separator === -1 ? reason : reason.slice(0, separator);
  const detail = separator === -1 ? undefined : reason.slice(separator + 2);
  if (Object.hasOwn(CLOSE_REASONS, head)) {
    return detail === undefined
      ? { name: head as CloseReasonName }
      : { name: head as CloseReasonName, detail };
  }
  const byCode = Object.entries(CLOSE_REASONS).find(([, value]) => value.code === code);
  if (byCode)
    return reason
      ? { name: byCode[0] as CloseReasonName, detail: reason }
      : { name: byCode[0] as CloseReasonName };
  // 1005 (no status) and 1006 (abnormal closure) mean the peer vanished.
  if (code === 1005 || code === 1006) return { name: vanished };
  if (code === 1002 || code === 1003 || code === 1007)
    return { name: 'protocol_error', detail: reason || `code ${code}` };
  return { name: 'internal_error', detail: reason || `code ${code}` };
}

/** An error that ends a tunnel with a known reason. */
export class TunnelClosedError extends Error {
  readonly reason: CloseReasonName;
  readonly detail: string | undefined;

  constructor(reason: CloseReasonName, detail?: string, options?: { cause?: unknown }) {
    super(
      detail ? `${CLOSE_REASONS[reason].text} (${detail})` : CLOSE_REASONS[reason].text,
      options,
    );
    this.name = 'TunnelClosedError';
    this.reason = reason;
    this.detail = detail;
  }
}

/** Maps a socket error from the target side to a close reason. */
export function targetErrorReason(error: NodeJS.ErrnoException): CloseReasonName {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'target_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'target_reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'target_unreachable';
    default:
      return 'internal_error';
  }
}
