import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../../src/cli/gateway-client.js';
import { freePort } from '../../helpers/ports.js';

/** A stand-in gateway: answers by path, records what it was asked. */
let server: http.Server;
let base: string;
const seen: { url?: string; authorization?: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    switch (req.url) {
      case '/prefix/api/connections':
        return send(
          200,
          JSON.stringify({ connections: [{ name: 'echo', type: 'tcp', localPort: 8999 }] }),
        );
      case '/html/api/connections':
        return send(200, '<html>hello</html>', 'text/html');
      case '/wrong-shape/api/connections':
        return send(200, JSON.stringify({ items: [] }));
      case '/refuse/api/connections/pg':
        return send(
          403,
          JSON.stringify({
            error: { code: 'HOOP_CONNECTION_FORBIDDEN', message: 'no', hint: 'ask the admins' },
          }),
        );
      default:
        return send(404, 'not found', 'text/plain');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
});

describe('GatewayClient', () => {
  it('keeps the gateway URL’s path prefix and sends the bearer token', async () => {
    const client = new GatewayClient(`${base}/prefix`, 'hoop_token');
    assert.deepEqual(await client.connections(), [{ name: 'echo', type: 'tcp', localPort: 8999 }]);
    assert.deepEqual(seen.at(-1), {
      url: '/prefix/api/connections',
      authorization: 'Bearer hoop_token',
    });
  });

  it('builds the tunnel URL with ws: or wss:, prefix and escaping kept', () => {
    assert.equal(
      new GatewayClient(`${base}/prefix`, 't').tunnelUrl('a b'),
      `${base.replace('http', 'ws')}/prefix/api/tunnel/a%20b`,
    );
    assert.equal(
      new GatewayClient('https://hoop.example', 't').tunnelUrl('pg'),
      'wss://hoop.example/api/tunnel/pg',
    );
  });

  it('turns the gateway’s JSON refusal into a HoopError with its code and hint', async () => {
    await assert.rejects(new GatewayClient(`${base}/refuse`, 't').connection('pg'), {
      code: 'HOOP_CONNECTION_FORBIDDEN',
      message: 'no',
      hint: 'ask the admins',
    });
  });

  it('says a server that answers 200 with something else is not a hoop gateway (exit 6)', async () => {
    for (const prefix of ['/html', '/wrong-shape']) {
      await assert.rejects(
        new GatewayClient(`${base}${prefix}`, 't').connections(),
        (error: Error & { code?: string; exitCode?: number }) => {
          assert.equal(error.code, 'HOOP_GATEWAY_UNREACHABLE');
          assert.equal(error.exitCode, 6);
          assert.match(error.message, /does not look like a hoop gateway/);
          return true;
        },
      );
    }
  });

  it('reports a refused connection in words, with the code, as HOOP_GATEWAY_UNREACHABLE', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(new GatewayClient(closed, 't').connections(), {
      code: 'HOOP_GATEWAY_UNREACHABLE',
      message: `cannot reach the gateway at ${closed}: connection refused (ECONNREFUSED)`,
    });
  });
});
