import type net from 'node:net';
import tls from 'node:tls';

/*
 * PostgreSQL's encryption negotiation, answered by `hoop connect` itself
 * (protocol §55.2.10, "SSL Session Encryption", and §55.2.11, "GSSAPI
 * Session Encryption"). A client may open with
 *
 *   SSLRequest      Int32(8) Int32(80877103)   answered 'S', then a TLS handshake
 *   GSSENCRequest   Int32(8) Int32(80877104)   answered 'N', then the client goes on
 *
 * before its StartupMessage (or CancelRequest). The TLS ends here, with the
 * local certificate: what goes through the tunnel is the decrypted stream
 * without the SSLRequest, so the gateway, which answers 'N' to any it sees,
 * never sees one, nor a client certificate (none is asked for).
 */

/** Request codes of the 8-byte negotiation messages. */
export const NEGOTIATION_CODES = {
  /** SSLRequest: 1234 << 16 | 5679. */
  ssl: 80877103,
  /** GSSENCRequest: 1234 << 16 | 5680. */
  gssenc: 80877104,
} as const;

const REQUEST_LENGTH = 8;

/** What the first 8 bytes a client sends are. */
export function classifyOpening(head: Buffer): 'ssl' | 'gssenc' | 'other' {
  if (head.length !== REQUEST_LENGTH || head.readInt32BE(0) !== REQUEST_LENGTH) return 'other';
  const code = head.readInt32BE(4);
  if (code === NEGOTIATION_CODES.ssl) return 'ssl';
  if (code === NEGOTIATION_CODES.gssenc) return 'gssenc';
  return 'other';
}

/**
 * Negotiates encryption with a PostgreSQL client on `socket` (paused, as
 * accepted): answers SSLRequest with 'S' and completes a TLS handshake with
 * `context`, answers GSSENCRequest with 'N', and leaves any other opening
 * (a StartupMessage, a CancelRequest, a client that sent too little) unread
 * for the tunnel, byte for byte.
 *
 * @returns the stream to tunnel: the TLS socket's cleartext side, or `socket`.
 * @throws when the client leaves or fails the handshake, or sends bytes
 *   after its SSLRequest before the answer (PostgreSQL refuses that too:
 *   such bytes were not protected, CVE-2021-23214).
 */
export async function negotiatePostgresTls(
  socket: net.Socket,
  context: tls.SecureContext,
): Promise<net.Socket> {
  for (;;) {
    const head = await readUpTo(socket, REQUEST_LENGTH);
    const kind = classifyOpening(head);
    if (kind === 'other') {
      if (head.length > 0) socket.unshift(head);
      return socket;
    }
    if (kind === 'gssenc') {
      socket.write('N');
      continue;
    }
    if (socket.readableLength > 0) {
      throw new Error('the client sent data after its SSLRequest before the answer');
    }
    socket.write('S');
    return handshake(socket, context);
  }
}

/**
 * Reads `size` bytes from a paused socket, or fewer if it ends first; what
 * follows stays in the socket's buffer.
 */
function readUpTo(socket: net.Socket, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk = socket.read(size) as Buffer | null;
      if (chunk !== null) {
        done();
        resolve(chunk);
      } else if (socket.readableEnded) {
        done();
        resolve(Buffer.alloc(0));
      }
    };
    const onEnd = (): void => {
      // read(size) hands over what is left once the stream has ended.
      const rest = socket.read() as Buffer | null;
      done();
      resolve(rest ?? Buffer.alloc(0));
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    const onClose = (): void => {
      done();
      reject(new Error('the client closed the connection during the negotiation'));
    };
    const done = (): void => {
      socket.off('readable', attempt);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.on('readable', attempt);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.once('close', onClose);
    attempt();
  });
}

function handshake(socket: net.Socket, context: tls.SecureContext): Promise<tls.TLSSocket> {
  const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      secure.off('secure', onSecure);
      secure.off('error', onError);
      secure.off('end', onEnd);
      secure.off('close', onEnd);
      if (error === undefined) {
        resolve(secure);
        return;
      }
      secure.on('error', () => {});
      secure.destroy();
      reject(error);
    };
    const onSecure = (): void => settle();
    const onError = (error: Error): void => settle(error);
    // A client that leaves mid-handshake ends the stream (half-open sockets emit no 'close' yet).
    const onEnd = (): void =>
      settle(new Error('the client closed the connection during the TLS handshake'));
    secure.once('secure', onSecure);
    secure.once('error', onError);
    secure.once('end', onEnd);
    secure.once('close', onEnd);
  });
}
