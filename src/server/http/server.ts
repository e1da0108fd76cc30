import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HoopError } from '../../lib/errors.js';
import { requestPath } from './path.js';
import { answerClientError, refuseUpgrade, serveWithoutUpgrade, toHoopError } from './respond.js';

/**
 * The gateway's HTTP server on its address: the JSON API, and upgrades
 * routed to the tunnel endpoint when their path is `tunnelPath` (anything
 * else that asks for another protocol, `curl --http2`'s `Upgrade: h2c`, is
 * an ordinary API request answered in HTTP/1.1).
 */
export async function listenGateway(options: {
  api: http.RequestListener;
  tunnelPath: RegExp;
  upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer, path: string) => void;
  host: string;
  port: number;
  /** The config file, for a `listen` error that names it. */
  file: string;
}): Promise<{ server: http.Server; address: AddressInfo; url: string }> {
  const server = http.createServer(options.api);
  server.on('clientError', answerClientError);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      // A client that resets mid-handshake is not the gateway's problem.
    });
    let path: string;
    try {
      path = requestPath(req);
    } catch (error) {
      refuseUpgrade(socket, toHoopError(error));
      return;
    }
    if (!options.tunnelPath.test(path)) serveWithoutUpgrade(options.api, req, socket);
    else options.upgrade(req, socket, head, path);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    throw listenError(error as NodeJS.ErrnoException, options.host, options.port, options.file);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, address, url: `http://${host}:${address.port}` };
}

/** Why the gateway cannot listen, in the config's terms. */
function listenError(
  error: NodeJS.ErrnoException,
  host: string,
  port: number,
  file: string,
): HoopError {
  const why =
    error.code === 'EADDRINUSE'
      ? 'the port is already in use'
      : error.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? 'no network interface has this address'
          : error.message;
  return new HoopError('HOOP_CONFIG_INVALID', `cannot listen on ${host}:${port}: ${why}`, {
    hint: `Change \`listen\` in ${file === '<inline>' ? 'the config' : file}, or stop what uses the port.`,
    cause: error,
    details: { file, key: 'listen' },
  });
}
