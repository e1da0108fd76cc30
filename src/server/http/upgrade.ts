import type { IncomingMessage } from 'node:http';
import { HoopError } from '../../lib/errors.js';

/**
 * Checks the handshake the way `ws` will (RFC 6455 §4.2.1) before the
 * session is recorded, so that an upgrade `ws` would reject is refused with
 * our JSON error instead of leaving a session that never ran.
 */
export function validateUpgrade(req: IncomingMessage): void {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  const valid =
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '13' || version === '8');
  if (!valid) {
    throw new HoopError('HOOP_BAD_REQUEST', 'not a valid WebSocket upgrade (RFC 6455 §4.2.1)', {
      hint: 'Connect with `hoop connect`.',
    });
  }
}
