export {
  CLOSE_REASONS,
  TunnelClosedError,
  targetErrorReason,
  type CloseReasonName,
} from './close-reason.js';
export { dial, refusalError, type DialOptions } from './dial.js';
export {
  startLocalListener,
  type LocalListener,
  type LocalListenerOptions,
  type TunnelClosedEvent,
} from './local-listener.js';
export { relay, type RelayResult, type RelaySide } from './relay.js';
export { WebSocketStream, type WebSocketStreamOptions } from './websocket-stream.js';
