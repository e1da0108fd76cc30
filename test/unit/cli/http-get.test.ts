import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpGet } from '../../../src/cli/http-get.js';

/** Two stand-in servers (two origins): `a` redirects, answers and stalls; `b` records what reached it. */
let a: http.Server;
let b: http.Server;
let baseA: string;
let baseB: string;
const seenByB: (string | undefined)[] = [];

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

before(async () => {
  b = http.createServer((req, res) => {
    seenByB.push(req.headers.authorization);
    res.end('from b');
  });
  baseB = await listen(b);
  a = http.createServer((req, res) => {
    switch (req.url) {
      case '/text':
        return res.end(Buffer.from('\ufeffzoë ☕', 'utf8'));
      case '/same-origin':
        res.writeHead(302, { location: '/echo-auth' });
        return res.end();
      case '/echo-auth':
        return res.end(req.headers.authorization ?? 'none');
      case '/other-origin':
        res.writeHead(307, { location: `${baseB}/x` });
        return res.end();
      case '/loop':
        res.writeHead(301, { location: '/loop' });
        return res.end();
      case '/stall':
        return; // never answers
      default:
        res.writeHead(404);
        return res.end('not found');
    }
  });
  baseA = await listen(a);
});

after(() => {
  a.closeAllConnections();
  a.close();
  b.close();
});

describe('httpGet', () => {
  it('answers with the status and the body decoded as UTF-8, as fetch does', async () => {
    assert.deepEqual(await httpGet(new URL(`${baseA}/text`), {}, 5_000), {
      status: 200,
      text: 'zoë ☕',
    });
    assert.deepEqual(await httpGet(new URL(`${baseA}/nope`), {}, 5_000), {
      status: 404,
      text: 'not found',
    });
  });

  it('follows a redirect on the same origin with the authorization header', async () => {
    const answer = await httpGet(
      new URL(`${baseA}/same-origin`),
      { authorization: 'Bearer t' },
      5_000,
    );
    assert.deepEqual(answer, { status: 200, text: 'Bearer t' });
  });

  it('drops the authorization header on a redirect to another origin', async () => {
    const answer = await httpGet(
      new URL(`${baseA}/other-origin`),
      { authorization: 'Bearer t' },
      5_000,
    );
    assert.deepEqual(answer, { status: 200, text: 'from b' });
    assert.deepEqual(seenByB, [undefined]);
  });

  it('stops following after 20 redirects and returns the last one', async () => {
    assert.equal((await httpGet(new URL(`${baseA}/loop`), {}, 5_000)).status, 301);
  });

  it('rejects with a TimeoutError when no answer comes in time', async () => {
    await assert.rejects(httpGet(new URL(`${baseA}/stall`), {}, 200), { name: 'TimeoutError' });
  });

  it('rejects with the error code when nothing listens', async () => {
    const closed = http.createServer();
    const url = await listen(closed);
    closed.close();
    await assert.rejects(httpGet(new URL(url), {}, 5_000), { code: 'ECONNREFUSED' });
  });
});
