import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runHoop } from '../helpers/cli.js';
import {
  runOpenSsh,
  ssh,
  ssh2Client,
  ssh2Exec,
  sshOptions,
  startSshEnv,
  type SshEnv,
} from '../helpers/ssh-gateway.js';
import { startSshd, sshConnection } from '../helpers/sshd.js';
import { startConnect } from '../helpers/tunnel.js';
import { startTestGateway } from '../helpers/gateway.js';

describe('SSH through the gateway (real sshd, ssh, scp, sftp and ssh2)', () => {
  let env: SshEnv;
  let work: string;
  const hoopEnv = (who: string) => ({
    HOOP_GATEWAY: env.gw.url,
    HOOP_TOKEN: env.gw.keys[who] ?? '',
  });

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'hoop-ssh-work-'));
    env = await startSshEnv({
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'eng-1', groups: ['engineering'] },
        { name: 'sre-1', groups: ['sre'] },
      ],
      policy: [
        {
          name: 'no-rm',
          match: { connections: ['bastion'], commands: ['rm *', 'shutdown*'] },
          effect: 'deny',
        },
        {
          name: 'agents-no-shell',
          match: { groups: ['agents'], commands: ['@shell', '@sftp'] },
          effect: 'deny',
        },
        {
          name: 'touch-needs-review',
          match: { commands: ['touch *'] },
          effect: 'review',
          review: { approvers: ['sre'], approvals: 1, timeout: '1m' },
        },
        {
          name: 'eng-forward',
          match: { groups: ['engineering'], commands: ['@forward'] },
          effect: 'allow',
        },
        { name: 'everyone', match: { groups: ['agents', 'engineering', 'sre'] }, effect: 'allow' },
      ],
    });
    await writeFile(path.join(work, 'canary'), 'still here\n');
  });

  after(async () => {
    await env?.close();
  });

  it('runs an allowed command with the real ssh client, host-key checking on, and passes its exit status', async () => {
    const ok = await ssh(env, `cat ${work}/canary; echo "$USER"`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `still here\n${env.sshd.user}\n`);
    const failed = await ssh(env, 'exit 7');
    assert.equal(failed.code, 7);
  });

  it('refuses a denied command with the rule on stderr and exit status 3, the host unchanged', async () => {
    const refused = await ssh(env, `rm -rf ${work}/canary`);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /policy rule "no-rm"/);
    assert.ok(existsSync(path.join(work, 'canary')));
  });

  it('records each command with its decision, rule and exit status', async () => {
    await ssh(env, 'echo recorded-line');
    const sessions = (await (
      await fetch(`${env.gw.url}/api/sessions?connection=bastion`, {
        headers: { authorization: `Bearer ${env.gw.keys['agent-1']}` },
      })
    ).json()) as { sessions: { id: string }[] };
    const events = [];
    for (const session of sessions.sessions) {
      const listed = (await (
        await fetch(`${env.gw.url}/api/sessions/${session.id}/events`, {
          headers: { authorization: `Bearer ${env.gw.keys['agent-1']}` },
        })
      ).json()) as {
        events: {
          kind: string;
          text: string;
          decision: string;
          rule?: string;
          detail?: { exitStatus?: number; output?: { text: string } };
        }[];
      };
      events.push(...listed.events);
    }
    const echo = events.find((event) => event.text === 'echo recorded-line');
    assert.equal(echo?.kind, 'command');
    assert.equal(echo?.decision, 'allow');
    assert.equal(echo?.detail?.exitStatus, 0);
    assert.equal(echo?.detail?.output?.text, 'recorded-line\n');
    const rm = events.find((event) => event.text.startsWith('rm -rf'));
    assert.equal(rm?.decision, 'deny');
    assert.equal(rm?.rule, 'no-rm');
    assert.equal(rm?.detail?.exitStatus, 3);
  });

  it('hoop exec runs a command, exits with its status, and 3 for a refusal', async () => {
    const ok = await runHoop(['exec', 'bastion', '-i', `cat ${work}/canary`], hoopEnv('agent-1'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'still here\n');
    const refused = await runHoop(
      ['exec', 'bastion', '-i', `/bin/rm ${work}/canary`],
      hoopEnv('agent-1'),
    );
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /no-rm/);
    assert.ok(existsSync(path.join(work, 'canary')));
  });

  it('hoop exec exits 4 with the review ID; once approved, --review runs the command once', async () => {
    const file = path.join(work, 'reviewed');
    const waiting = await runHoop(['exec', 'bastion', '-i', `touch ${file}`], hoopEnv('agent-1'));
    assert.equal(waiting.code, 4, waiting.stderr);
    const id = /rev_[0-9a-z]+/.exec(waiting.stderr)?.[0] ?? '';
    assert.ok(id, waiting.stderr);
    assert.ok(!existsSync(file));
    const approved = await runHoop(['reviews', 'approve', id], hoopEnv('sre-1'));
    assert.equal(approved.code, 0, approved.stderr);
    const ran = await runHoop(['exec', 'bastion', '--review', id], hoopEnv('agent-1'));
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(existsSync(file));
    const again = await runHoop(['exec', 'bastion', '--review', id], hoopEnv('agent-1'));
    assert.equal(again.code, 3, again.stderr);
  });

  it('ssh waits on a review rule, printing the review ID, and runs the command once approved', async () => {
    const file = path.join(work, 'waited');
    const running = ssh(env, `touch ${file}`);
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      const listed = await runHoop(['reviews', '--json'], hoopEnv('sre-1'));
      id = (
        JSON.parse(listed.stdout || '[]') as { id: string; text?: string; status: string }[]
      ).find((review) => review.text === `touch ${file}` && review.status === 'pending')?.id;
      if (!id) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(id);
    assert.ok(!existsSync(file));
    await runHoop(['reviews', 'approve', id], hoopEnv('sre-1'));
    const done = await running;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`review ${id}`));
    assert.ok(existsSync(file));
  });

  it('opens an interactive shell with a pty for a person, follows a resize, and records the terminal', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const output = await new Promise<string>((resolve, reject) => {
        client.shell({ term: 'xterm', rows: 24, cols: 80 }, (error, channel) => {
          if (error) return reject(error);
          let text = '';
          channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
          channel.once('close', () => resolve(text));
          channel.setWindow(40, 120, 0, 0);
          setTimeout(() => channel.write('stty size; echo shell-$((6*7)); exit\n'), 300);
        });
      });
      assert.match(output, /40 120/);
      assert.match(output, /shell-42/);
    } finally {
      client.end();
    }
  });

  it('refuses a shell and sftp to agents by rule (@shell, @sftp)', async () => {
    const shell = await ssh(env, '', 'agent-1', ['-tt']);
    assert.equal(shell.code, 3);
    assert.match(shell.stderr + shell.stdout, /agents-no-shell/);
    const sftp = await runOpenSsh(
      'sftp',
      [
        ...sshOptions(env, await env.port('agent-1'), '-P'),
        '-b',
        '-',
        `${env.sshd.user}@127.0.0.1`,
      ],
      { input: `ls ${work}\n` },
    );
    assert.notEqual(sftp.code, 0);
  });

  it('sftp and scp work where policy allows them', async () => {
    const port = await env.port('eng-1');
    const local = path.join(work, 'upload.txt');
    await writeFile(local, 'uploaded by scp\n');
    const scp = await runOpenSsh('scp', [
      ...sshOptions(env, port, '-P'),
      local,
      `${env.sshd.user}@127.0.0.1:${work}/copied.txt`,
    ]);
    assert.equal(scp.code, 0, scp.stderr);
    assert.equal(await readFile(path.join(work, 'copied.txt'), 'utf8'), 'uploaded by scp\n');
    const sftp = await runOpenSsh(
      'sftp',
      [...sshOptions(env, port, '-P'), '-b', '-', `${env.sshd.user}@127.0.0.1`],
      { input: `get ${work}/canary ${work}/fetched\n` },
    );
    assert.equal(sftp.code, 0, sftp.stderr);
    assert.equal(await readFile(path.join(work, 'fetched'), 'utf8'), 'still here\n');
  });

  it('refuses -L forwarding without a rule naming @forward, and opens it from the host with one', async () => {
    const echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoPort = (echo.address() as net.AddressInfo).port;
    try {
      const forward = async (identity: string) => {
        const client = await ssh2Client(env, identity);
        try {
          return await new Promise<string>((resolve) => {
            client.forwardOut('127.0.0.1', 1, '127.0.0.1', echoPort, (error, channel) => {
              if (error) return resolve(`refused: ${error.message}`);
              channel.once('data', (chunk: Buffer) => {
                resolve(chunk.toString());
                channel.close();
              });
              channel.write('ping');
            });
          });
        } finally {
          client.end();
        }
      };
      assert.match(await forward('agent-1'), /^refused/);
      assert.equal(await forward('eng-1'), 'ping');
    } finally {
      echo.close();
    }
  });

  it('refuses X11, agent and remote forwarding', async () => {
    const client = await ssh2Client(env, 'eng-1');
    try {
      const remote = await new Promise<string>((resolve) =>
        client.forwardIn('127.0.0.1', 0, (error) => resolve(error ? 'refused' : 'bound')),
      );
      assert.equal(remote, 'refused');
      // The x11-req gets a failure: ssh2 gives up the exec rather than run without it.
      await assert.rejects(ssh2Exec(client, 'echo "${DISPLAY:-none}"', { x11: true }), /X11/);
      const agent = await ssh2Exec(client, 'echo "${SSH_AUTH_SOCK:-none}"', {
        agentForward: true,
      } as never);
      assert.equal(agent.stdout, 'none\n');
    } finally {
      client.end();
    }
  });

  it('hoop connect prints an ssh line that works as printed, and --ssh-config a Host block', async () => {
    const configDir = await mkdtemp(path.join(os.tmpdir(), 'hoop-ssh-cli-'));
    const connect = await startConnect(env.gw, 'bastion', ['--ssh-config'], {
      HOOP_CONFIG_DIR: configDir,
    });
    try {
      const { stdout } = connect.output();
      const line = /^Connect with: (.*)$/m.exec(stdout)?.[1] ?? '';
      const knownHosts = path.join(configDir, 'known_hosts');
      assert.equal(
        line,
        `ssh -p ${connect.port} -o UserKnownHostsFile=${knownHosts} ${env.sshd.user}@127.0.0.1`,
      );
      const args = line.split(' ').slice(1);
      const run = await runOpenSsh('ssh', ['-o', 'BatchMode=yes', ...args, 'echo via-connect']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'via-connect\n');
      assert.match(stdout, new RegExp(`^Host bastion$`, 'm'));
      const config = path.join(configDir, 'ssh_config');
      await writeFile(config, stdout.slice(stdout.indexOf('Host bastion')));
      const plain = await runOpenSsh('ssh', [
        '-F',
        config,
        '-o',
        'BatchMode=yes',
        'bastion',
        'echo plain',
      ]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stdout, 'plain\n');
    } finally {
      await connect.stop();
    }
  });

  it('hoop ssh-keyscan prints the host key an administrator pins', async () => {
    const scan = await runHoop(['ssh-keyscan', '127.0.0.1', '--port', String(env.sshd.port)]);
    assert.equal(scan.code, 0, scan.stderr);
    assert.match(
      scan.stdout,
      new RegExp(`hostKey: "${env.sshd.hostKey.replace(/[+/]/g, '\\$&')}"`),
    );
  });
});

describe('SSH: a target whose host key is not the pinned one', () => {
  it('refuses the session with a clear error and never logs in', async () => {
    const sshd = await startSshd();
    const other = await startSshd();
    const gw = await startTestGateway({
      connections: sshConnection({ ...sshd, hostKey: other.hostKey }),
      policy: [{ name: 'all', match: {}, effect: 'allow' }],
    });
    try {
      const exec = await runHoop(['exec', 'bastion', '-i', 'echo hi'], {
        HOOP_GATEWAY: gw.url,
        HOOP_TOKEN: gw.keys['agent-1'] ?? '',
      });
      assert.notEqual(exec.code, 0);
      assert.equal(exec.stdout, '');
      assert.match(exec.stderr, /not the one pinned in its hostKey/);
    } finally {
      await gw.close();
      await sshd.stop();
      await other.stop();
    }
  });
});

describe('SSH: terminal recording, replay and asciicast', () => {
  it('records a shell’s output as terminal events; hoop audit replay plays it, export writes asciicast v2', async () => {
    const env = await startSshEnv({
      keys: [{ name: 'eng-1', groups: ['engineering'] }],
      policy: [{ name: 'all', match: { groups: ['engineering'] }, effect: 'allow' }],
    });
    try {
      const client = await ssh2Client(env, 'eng-1');
      await new Promise<void>((resolve, reject) => {
        client.shell({ term: 'xterm', rows: 24, cols: 80 }, (error, channel) => {
          if (error) return reject(error);
          channel.on('data', () => {});
          channel.once('close', () => resolve());
          setTimeout(() => channel.write('echo replay-$((20+22)); exit\n'), 300);
        });
      });
      client.end();
      const auth = { authorization: `Bearer ${env.gw.keys['eng-1']}` };
      let id = '';
      for (let i = 0; i < 50 && !id; i++) {
        const listed = (await (
          await fetch(`${env.gw.url}/api/sessions?connection=bastion`, { headers: auth })
        ).json()) as { sessions: { id: string; endedAt: string | null }[] };
        id = listed.sessions.find((session) => session.endedAt !== null)?.id ?? '';
        if (!id) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(id);
      const hoopEnv = { HOOP_GATEWAY: env.gw.url, HOOP_TOKEN: env.gw.keys['eng-1'] ?? '' };
      const replay = await runHoop(
        ['audit', 'replay', id, '--speed', '100', '--max-idle', '0'],
        hoopEnv,
      );
      assert.equal(replay.code, 0, replay.stderr);
      assert.match(replay.stdout, /replay-42/);
      assert.match(replay.stderr, /Replaying the terminal of/);
      const cast = await runHoop(['audit', 'export', '--format', 'asciicast', id], hoopEnv);
      assert.equal(cast.code, 0, cast.stderr);
      const [header, ...frames] = cast.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      assert.equal((header as { version: number }).version, 2);
      assert.ok(frames.length > 0);
      for (const frame of frames as [number, string, string][]) {
        assert.equal(typeof frame[0], 'number');
        assert.equal(frame[1], 'o');
      }
      assert.match(
        (frames as [number, string, string][]).map((frame) => frame[2]).join(''),
        /replay-42/,
      );
    } finally {
      await env.close();
    }
  });
});
