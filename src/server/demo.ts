import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../lib/api-key.js';
import { parseConfig } from './config/index.js';
import { startGateway, type Gateway } from './gateway.js';
import { startDevIdp, type DevIdp } from './idp/index.js';
import type { Logger } from './logger.js';

export interface Demo {
  gateway: Gateway;
  /** The development identity provider people log in through. */
  idp: DevIdp;
  /** The demo agent's API key (`HOOP_TOKEN`). */
  token: string;
  /** Where the demo keeps its store. */
  dir: string;
  close(): Promise<void>;
}

/**
 * `hoop demo`: a gateway with a throwaway store, the development identity
 * provider with demo people and an agent, an API key, and a built-in echo
 * target behind a `tcp` connection, configured through the same YAML loader a
 * real deployment uses. Everything listens on 127.0.0.1 only.
 */
export async function startDemo(options: {
  port: number;
  idpPort: number;
  logger?: Logger;
  warn?: (message: string) => void;
}): Promise<Demo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-demo-'));
  const idp = await startDevIdp({
    port: options.idpPort,
    ...(options.warn ? { warn: options.warn } : {}),
  });
  const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const echoPort = (echo.address() as net.AddressInfo).port;
  const token = generateApiKey();
  const config = parseConfig(
    [
      `listen: 127.0.0.1:${options.port}`,
      `store: sqlite:${path.join(dir, 'hoop.db')}`,
      'auth:',
      `  oidc: { issuer: "${idp.issuer}", clientId: ${idp.cliClientId}, audience: ${idp.audience} }`,
      '  apiKeys:',
      `    - { name: demo-agent, groups: [agents], keyHash: "${hashApiKey(token)}" }`,
      'connections:',
      `  - { name: demo-echo, type: tcp, host: 127.0.0.1, port: ${echoPort}, groups: [engineering, dba, agents] }`,
    ].join('\n'),
    { file: path.join(dir, 'hoop.yaml') },
  );
  let gateway: Gateway;
  try {
    gateway = await startGateway({ config, ...(options.logger ? { logger: options.logger } : {}) });
  } catch (error) {
    await idp.close();
    echo.close();
    throw error;
  }
  return {
    gateway,
    idp,
    token,
    dir,
    async close() {
      await gateway.close();
      await idp.close();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    },
  };
}
