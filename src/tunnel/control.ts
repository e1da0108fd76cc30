/**
 * Control messages travel as WebSocket text frames beside the binary data
 * frames. Later messages (token refresh) join this union; an unknown type is
 * a protocol error, not silently ignored.
 *
 * - `eof`: WebSocket has no half-close, so this carries TCP's FIN: the sender
 *   will send no more data but still reads.
 * - `token`: the client's refreshed bearer token (`hoop login` refreshes while
 *   tunnels are open); the gateway checks it like the one it opened with.
 * - `pause` / `resume`: the sender has stopped (started again) reading the
 *   WebSocket because its own reader is slow. Pings and pongs queue behind the
 *   unread data meanwhile, so the peer must not take the silence for a dead
 *   connection (see the keepalive in websocket-stream.ts).
 */
export type ControlMessage =
  { type: 'eof' } | { type: 'pause' } | { type: 'resume' } | { type: 'token'; token: string };

/** Control frames are tiny; anything larger is refused before JSON parsing. */
const MAX_CONTROL_BYTES = 16 * 1024;

export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

/** Decodes a control frame; throws an Error naming what was wrong. */
export function decodeControl(data: Buffer): ControlMessage {
  if (data.length > MAX_CONTROL_BYTES) {
    throw new Error(`control message of ${data.length} bytes exceeds ${MAX_CONTROL_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new Error('control message is not JSON');
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) {
    throw new Error('control message has no type');
  }
  switch (value.type) {
    case 'eof':
    case 'pause':
    case 'resume':
      return { type: value.type };
    case 'token':
      if (!('token' in value) || typeof value.token !== 'string' || value.token === '') {
        throw new Error('token control message without a token');
      }
      return { type: 'token', token: value.token };
  }
  throw new Error(`unknown control message type ${JSON.stringify(value.type)}`);
}
