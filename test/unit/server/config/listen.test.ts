import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseListen } from '../../../../src/server/config/listen.js';

describe('parseListen', () => {
  it('reads host:port, [IPv6]:port, :port and a bare port', () => {
    assert.deepEqual(parseListen('127.0.0.1:8009'), { host: '127.0.0.1', port: 8009 });
    assert.deepEqual(parseListen('hoop.example.com:443'), { host: 'hoop.example.com', port: 443 });
    assert.deepEqual(parseListen('[::1]:8009'), { host: '::1', port: 8009 });
    assert.deepEqual(parseListen('[fe80::1%eth0]:8009'), { host: 'fe80::1%eth0', port: 8009 });
    assert.deepEqual(parseListen(':8009'), { host: '0.0.0.0', port: 8009 });
    assert.deepEqual(parseListen('8009'), { host: '127.0.0.1', port: 8009 });
    assert.deepEqual(parseListen(8009), { host: '127.0.0.1', port: 8009 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  });

  it('explains what it expects', () => {
    for (const bad of [
      'localhost',
      'localhost:',
      'host:port',
      ':65536',
      '1.2.3.4:-1',
      'a b:80',
      '[::1]',
      '[nope]:80',
      70000,
      1.5,
    ]) {
      const result = parseListen(bad);
      assert.equal(typeof result, 'string', String(bad));
      assert.match(result as string, /^expected /);
    }
    assert.match(parseListen('::1:8009') as string, /in brackets/);
  });
});
