import type { TargetConnector } from '../../targets/connector.js';
import type { CancelKeys } from './cancel-keys.js';
import { buildCancelRequest } from './protocol/index.js';

/**
 * Sends a client's CancelRequest (protocol §55.2.9) on to the backend its
 * gateway-issued key names, on a connection of its own through the
 * connector. An unknown key is ignored, as PostgreSQL itself does (no error
 * reaches the client).
 */
export async function forwardCancel(
  connector: TargetConnector,
  keys: CancelKeys,
  request: { processId: number; secretKey: Buffer },
): Promise<void> {
  const found = keys.lookup(request.processId, request.secretKey);
  if (!found) return;
  let socket;
  try {
    socket = await connector.dial(found.target);
  } catch {
    return;
  }
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.end(buildCancelRequest(found.processId, found.secretKey));
  });
}
