import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { ssh2Client, ssh2Exec, startSshEnv, type SshEnv } from '../helpers/ssh-gateway.js';

/*
 * Channel types, forwarding and bad input: each abuse is refused or cut
 * with the connection alone, and the gateway keeps serving (every case
 * ends with a working command on a fresh connection).
 */
describe('SSH adversarial: channels, forwarding and bad input', () => {
  let env: SshEnv;

  before(async () => {
    env = await startSshEnv({
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'eng-1', groups: ['engineering'] },
      ],
      policy: [
        {
          name: 'agents-no-shell',
          match: { groups: ['agents'], commands: ['@shell', '@sftp'] },
          effect: 'deny',
        },
        { name: 'everyone', match: { groups: ['agents', 'engineering'] }, effect: 'allow' },
      ],
      ssh: [
        'ssh:',
        '  maxAuthAttempts: 3',
        '  maxChannels: 2',
        '  maxCommandBytes: 1024',
        '  handshakeTimeout: 1s',
      ].join('\n'),
    });
  });

  after(async () => {
    await env?.close();
  });

  /** The gateway still serves: a fresh connection runs a command. */
  async function stillServes(): Promise<void> {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const result = await ssh2Exec(client, 'echo alive');
      assert.equal(result.stdout, 'alive\n');
    } finally {
      client.end();
    }
  }

  /** Sends `bytes` on a raw connection to the listener; resolves with what came back once it closed. */
  async function raw(bytes: Buffer | string, identity = 'eng-1'): Promise<Buffer> {
    const socket = net.connect({ port: await env.port(identity), host: '127.0.0.1' });
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    if (bytes.length > 0) socket.write(bytes);
    await once(socket, 'close');
    return Buffer.concat(chunks);
  }

  it('an HTTP request instead of SSH: closed, gateway serving', async () => {
    const answer = await raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer.toString('latin1'), /^SSH-2\.0-hoop/);
    await stillServes();
  });

  it('garbage packets after the identification: disconnected, gateway serving', async () => {
    const garbage = Buffer.concat([Buffer.from('SSH-2.0-evil\r\n'), Buffer.alloc(64, 0xff)]);
    await raw(garbage);
    await stillServes();
  });

  it('a packet length far over the limit: disconnected, gateway serving', async () => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(0x7fffffff, 0);
    await raw(Buffer.concat([Buffer.from('SSH-2.0-evil\r\n'), header]));
    await stillServes();
  });

  it('a client that never finishes its handshake is cut after ssh.handshakeTimeout', async () => {
    const started = Date.now();
    await raw('');
    assert.ok(Date.now() - started < 10_000);
    await stillServes();
  });

  it('an authentication flood is disconnected after ssh.maxAuthAttempts', async () => {
    const port = await env.port('eng-1');
    let attempts = 0;
    const client = new ssh2.Client();
    const ended = new Promise<void>((resolve) => {
      client.on('error', () => resolve());
      client.on('close', () => resolve());
    });
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'x',
      authHandler: (_methods, _partial, next) => {
        attempts++;
        next({ type: 'password', username: 'x', password: `guess-${attempts}` });
      },
    } as ssh2.ConnectConfig);
    await ended;
    assert.ok(attempts <= 4, `${attempts} attempts`);
    await stillServes();
  });

  it('a command line over ssh.maxCommandBytes is refused with its code', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const result = await ssh2Exec(client, `echo ${'x'.repeat(2000)}`);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /HOOP_SSH_COMMAND_TOO_LONG/);
    } finally {
      client.end();
    }
  });

  it('channels over ssh.maxChannels are refused, the open ones unharmed', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const first = ssh2Exec(client, 'sleep 1; echo one');
      const second = ssh2Exec(client, 'sleep 1; echo two');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(ssh2Exec(client, 'echo three'));
      assert.equal((await first).stdout, 'one\n');
      assert.equal((await second).stdout, 'two\n');
    } finally {
      client.end();
    }
  });

  it('environment variables other than LANG and LC_* never reach the host', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const result = await ssh2Exec(
        client,
        'echo "${LD_PRELOAD:-unset}|${BASH_ENV:-unset}|$LANG"',
        {
          env: { LD_PRELOAD: '/tmp/evil.so', BASH_ENV: '/tmp/evil.sh', LANG: 'C' },
        },
      );
      assert.equal(result.stdout, 'unset|unset|C\n');
    } finally {
      client.end();
    }
  });

  it('a subsystem other than sftp is refused', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      await assert.rejects(
        new Promise((resolve, reject) =>
          client.subsys('netconf', (error, channel) => (error ? reject(error) : resolve(channel))),
        ),
      );
    } finally {
      client.end();
    }
  });

  it('a shell is refused to agents by rule, with the rule named', async () => {
    const client = await ssh2Client(env, 'agent-1');
    try {
      const stderr = await new Promise<string>((resolve, reject) =>
        client.shell(false, (error, channel) => {
          if (error) return reject(error);
          let text = '';
          channel.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
          channel.on('data', () => {});
          channel.once('close', () => resolve(text));
        }),
      );
      assert.match(stderr, /agents-no-shell/);
    } finally {
      client.end();
    }
  });

  it('sftp is refused to agents by rule', async () => {
    const client = await ssh2Client(env, 'agent-1');
    try {
      await assert.rejects(
        new Promise((resolve, reject) =>
          client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))),
        ),
      );
    } finally {
      client.end();
    }
  });

  it('-L forwarding without a rule naming @forward is refused', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      await assert.rejects(
        new Promise((resolve, reject) =>
          client.forwardOut('127.0.0.1', 1, '127.0.0.1', env.sshd.port, (error, channel) =>
            error ? reject(error) : resolve(channel),
          ),
        ),
      );
    } finally {
      client.end();
    }
  });

  it('-R forwarding is refused', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      await assert.rejects(
        new Promise<void>((resolve, reject) =>
          client.forwardIn('127.0.0.1', 0, (error) => (error ? reject(error) : resolve())),
        ),
      );
    } finally {
      client.end();
    }
  });

  it('X11 forwarding is refused', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      await assert.rejects(ssh2Exec(client, 'true', { x11: true }), /X11/);
    } finally {
      client.end();
    }
  });

  it('a program named like a channel (@shell) is not taken for one', async () => {
    const client = await ssh2Client(env, 'agent-1');
    try {
      const result = await ssh2Exec(client, '@shell');
      // Unknown rather than matched as the channel: the agents' @shell rule refuses it.
      assert.equal(result.code, 3);
      assert.match(result.stderr, /agents-no-shell/);
    } finally {
      client.end();
    }
  });
});
