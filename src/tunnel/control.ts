/**
 * Control messages travel as WebSocket text frames beside the binary data
 * frames. WebSocket has no half-close, so `eof` carries TCP's FIN: the sender
 * will send no more data but still reads. Later messages (token refresh) join
 * this union; an unknown type is a protocol error, not silently ignored.
 */
export type ControlMessage = { type: 'eof' };

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
  if (value.type === 'eof') return { type: 'eof' };
  throw new Error(`unknown control message type ${JSON.stringify(value.type)}`);
}
