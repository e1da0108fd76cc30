import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_GATEWAY, configDir, gatewayUrl } from '../../../src/cli/settings.js';

describe('gatewayUrl', () => {
  it('takes --gateway, then HOOP_GATEWAY, then the default', () => {
    assert.equal(
      gatewayUrl('https://flag.example', { HOOP_GATEWAY: 'https://env.example' }),
      'https://flag.example',
    );
    assert.equal(
      gatewayUrl(undefined, { HOOP_GATEWAY: 'https://env.example' }),
      'https://env.example',
    );
    assert.equal(gatewayUrl(undefined, {}), DEFAULT_GATEWAY);
    assert.equal(gatewayUrl(undefined, { HOOP_GATEWAY: '' }), DEFAULT_GATEWAY);
  });

  it('drops trailing slashes and keeps a path prefix', () => {
    assert.equal(gatewayUrl('http://127.0.0.1:8009/', {}), 'http://127.0.0.1:8009');
    assert.equal(gatewayUrl('https://proxy.example/hoop//', {}), 'https://proxy.example/hoop');
    assert.equal(gatewayUrl(' HTTPS://Hoop.Example ', {}), 'https://hoop.example');
  });

  it('refuses what is not an http(s) URL with HOOP_USAGE, naming the source', () => {
    assert.throws(() => gatewayUrl(undefined, { HOOP_GATEWAY: 'localhost:8009' }), {
      code: 'HOOP_USAGE',
      message: /^HOOP_GATEWAY is not an http\(s\) URL: "localhost:8009"$/,
    });
    assert.throws(() => gatewayUrl('127.0.0.1:8009', {}), { message: /^--gateway / });
    assert.throws(() => gatewayUrl('ws://127.0.0.1:8009', {}), { code: 'HOOP_USAGE' });
    assert.throws(() => gatewayUrl('http://h/?q=1', {}), { code: 'HOOP_USAGE' });
  });
});

describe('configDir', () => {
  it('takes HOOP_CONFIG_DIR, then $XDG_CONFIG_HOME/hoop, then ~/.config/hoop', () => {
    assert.equal(configDir({ HOOP_CONFIG_DIR: '/tmp/h', XDG_CONFIG_HOME: '/x' }), '/tmp/h');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x' }), path.join('/x', 'hoop'));
    assert.equal(configDir({}), path.join(os.homedir(), '.config', 'hoop'));
  });
});
