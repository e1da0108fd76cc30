import type ssh2 from 'ssh2';
import type {
  ActionRecord,
  CommandOutcome,
  Decision,
  Refused,
  RunCommand,
} from '../../enforcement/index.js';
import type { ProtocolSession, SshSettings } from '../handler.js';
import { CHANNELS, channelAction, execAction } from './command-action.js';
import { OutputPreview, TerminalRecording } from './recording.js';

/** What a session channel needs of its connection. */
export interface ChannelContext {
  session: ProtocolSession;
  settings: SshSettings;
  /** The target's SSH connection, logged in to on first use. */
  target(): Promise<ssh2.Client>;
  bytesDown(n: number): void;
}

/**
 * Exit statuses the gateway itself gives a channel, as `hoop exec` exits
 * (DESIGN.md): a script reads the same codes whichever client it uses.
 */
export const EXIT = { refused: 3, review: 4, unreachable: 6 } as const;

/** Environment variables a client may set on the target (OpenSSH's default `AcceptEnv LANG LC_*`). */
const ACCEPTED_ENV = /^(?:LANG|LC_[A-Z_]+)$/;

/** Subsystems a rule can allow, by name; any other is refused. */
const SUBSYSTEMS: Record<string, (typeof CHANNELS)[keyof typeof CHANNELS]> = {
  sftp: CHANNELS.sftp,
};

/** hold-hook's prefix for a review the client did not wait for (`hoop exec` without `--wait`). */
const WAITING = 'hoop: waiting for review ';

/**
 * One SSH session channel (RFC 4254 §6): the requests before the program
 * (pty-req, env, x11-req, auth-agent-req) are kept or refused; the one that
 * starts it (exec, shell, subsystem) is decided by the enforcer, and only
 * an allowed one opens a channel on the target, with the same pty and
 * environment. Window changes and signals follow it; its exit status or
 * signal comes back once the record of how it ended is durable.
 */
export class SessionChannel {
  private pty: ssh2.PseudoTtyOptions | undefined;
  private readonly env: Record<string, string> = {};
  private remote: ssh2.ClientChannel | undefined;
  private started = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly channel: ssh2.Session,
    private readonly ctx: ChannelContext,
  ) {
    const { session } = ctx;
    channel.on('pty', (accept, reject, info) => {
      if (this.started) return reject?.();
      this.pty = {
        term: info.term,
        rows: info.rows,
        cols: info.cols,
        height: info.height,
        width: info.width,
        modes: info.modes,
      };
      accept?.();
    });
    channel.on('window-change', (accept, _reject, info) => {
      accept?.();
      if (this.pty) Object.assign(this.pty, { rows: info.rows, cols: info.cols });
      this.remote?.setWindow(info.rows, info.cols, info.height, info.width);
    });
    channel.on('env', (accept, reject, info) => {
      if (this.started || !ACCEPTED_ENV.test(info.key)) return reject?.();
      this.env[info.key] = info.val;
      accept?.();
    });
    channel.on('signal', (accept, _reject, info) => {
      accept?.();
      this.remote?.signal(info.name);
    });
    channel.on('x11', (_accept, reject) => {
      session.log.info({ event: 'ssh_x11_refused' }, 'X11 forwarding is refused');
      reject?.();
    });
    channel.on('auth-agent', (_accept, reject) => {
      // Decided like any channel so the refusal is recorded with its rule; the gateway does not
      // forward agents yet, so even an allowed request is refused (README: SSH).
      const decision = session.enforcer.decide(channelAction(CHANNELS.agent, 'auth-agent'));
      if (decision.record)
        void session.enforcer.record(
          { ...decision.record, decision: 'deny' },
          outcome(0, 'refused'),
        );
      reject?.();
    });
    channel.on('exec', (accept, reject, info) => {
      if (this.started) return reject?.();
      this.started = true;
      const stream = accept();
      if (Buffer.byteLength(info.command) > ctx.settings.maxCommandBytes) {
        stream.stderr.write(
          `hoop: HOOP_SSH_COMMAND_TOO_LONG: the command line is longer than ssh.maxCommandBytes (${ctx.settings.maxCommandBytes} bytes)\r\n`,
        );
        stream.exit(EXIT.refused);
        stream.end();
        return;
      }
      void this.run(stream, execAction(info.command), (target, done) =>
        target.exec(info.command, this.execOptions(), done),
      );
    });
    channel.on('shell', (accept, reject) => {
      if (this.started) return reject?.();
      this.started = true;
      const stream = accept();
      void this.run(stream, channelAction(CHANNELS.shell, 'shell'), (target, done) =>
        target.shell(this.pty ?? false, { env: this.env }, done),
      );
    });
    channel.on('subsystem', (accept, reject, info) => {
      const channelName = SUBSYSTEMS[info.name];
      if (this.started || channelName === undefined) return reject?.();
      this.started = true;
      const stream = accept();
      void this.run(stream, channelAction(channelName, info.name), (target, done) =>
        target.subsys(info.name, done),
      );
    });
  }

  /** The client went away: a review it waited for is abandoned, the target's channel closed. */
  close(): void {
    this.abort.abort();
    this.remote?.close();
  }

  private execOptions(): ssh2.ExecOptions {
    return { env: this.env, ...(this.pty ? { pty: this.pty } : {}) };
  }

  /** Decides, holds, opens on the target and relays one channel's program, then records how it ended. */
  private async run(
    stream: ssh2.ServerChannel,
    action: RunCommand,
    open: (
      target: ssh2.Client,
      done: (error: Error | undefined, channel: ssh2.ClientChannel) => void,
    ) => void,
  ): Promise<void> {
    const { enforcer, log } = this.ctx.session;
    const started = Date.now();
    let decision: Decision = enforcer.decide(action);
    if (decision.effect === 'review') {
      try {
        decision = await enforcer.hold(decision, {
          notice: (message) => stream.stderr.write(`${message}\r\n`),
          signal: this.abort.signal,
        });
      } catch {
        // The client left while its command waited: nothing ran.
        return;
      }
    }
    if (decision.effect === 'deny') return this.refuse(stream, decision, started);

    let remote: ssh2.ClientChannel;
    try {
      const target = await this.ctx.target();
      remote = await new Promise((resolve, reject) =>
        open(target, (error, channel) => (error ? reject(error) : resolve(channel))),
      );
    } catch (error) {
      const message = `hoop: ${(error as Error).message}`;
      log.info({ event: 'ssh_target_failed', err: error }, 'SSH target channel failed');
      stream.stderr.write(`${message}\r\n`);
      await this.finish(stream, decision.record, {
        ...outcome(Date.now() - started, 'unreachable'),
        error: { code: (error as { code?: string }).code ?? 'HOOP_TARGET_ERROR', message },
      });
      return;
    }
    if (this.abort.signal.aborted) {
      remote.close();
      return;
    }
    this.remote = remote;
    const preview = new OutputPreview(enforcer.preview?.bytes ?? 0);
    const terminal =
      action.shell || this.pty !== undefined
        ? new TerminalRecording(enforcer, this.ctx.settings.maxRecordedBytes, (error) => {
            log.warn(
              { event: 'ssh_terminal_unrecorded', err: error },
              'terminal output not recorded',
            );
            stream.close();
          })
        : undefined;
    remote.on('data', (chunk: Buffer) => {
      this.ctx.bytesDown(chunk.length);
      preview.add(chunk);
      terminal?.output(chunk);
      if (!stream.write(chunk)) {
        remote.pause();
        stream.once('drain', () => remote.resume());
      }
    });
    remote.stderr.on('data', (chunk: Buffer) => {
      this.ctx.bytesDown(chunk.length);
      preview.add(chunk);
      terminal?.output(chunk);
      stream.stderr.write(chunk);
    });
    stream.pipe(remote);
    let exit: { code?: number; signal?: string } = {};
    remote.on('exit', (code: number | null, signal?: string) => {
      exit = code === null || code === undefined ? { ...(signal ? { signal } : {}) } : { code };
    });
    remote.once('close', () => {
      stream.unpipe(remote);
      void this.finish(stream, decision.record, {
        type: 'command',
        durationMs: Date.now() - started,
        ...(exit.code === undefined ? {} : { exitStatus: exit.code }),
        ...(exit.signal === undefined ? {} : { signal: exit.signal }),
        ...(preview.bytes > 0 ? { output: preview.result() } : {}),
      });
    });
  }

  private async refuse(
    stream: ssh2.ServerChannel,
    refused: Refused,
    started: number,
  ): Promise<void> {
    const status = refused.message.startsWith(WAITING) ? EXIT.review : EXIT.refused;
    stream.stderr.write(`${refused.message}\r\n`);
    await this.finish(stream, refused.record, {
      ...outcome(Date.now() - started, status === EXIT.review ? 'review' : 'refused'),
      error: {
        code: status === EXIT.review ? 'HOOP_REVIEW_PENDING' : 'HOOP_POLICY_DENIED',
        message: refused.message,
      },
    });
  }

  /** Records how the program ended, then (the record durable) gives the client its exit status and closes. */
  private async finish(
    stream: ssh2.ServerChannel,
    record: ActionRecord | undefined,
    ended: CommandOutcome,
  ): Promise<void> {
    if (record) {
      try {
        await this.ctx.session.enforcer.record(record, ended);
      } catch (error) {
        // Fail closed: an answer whose record could be lost is not given.
        this.ctx.session.log.warn({ event: 'ssh_unrecorded', err: error }, 'command not recorded');
        stream.close();
        return;
      }
    }
    if (ended.exitStatus !== undefined) stream.exit(ended.exitStatus);
    else if (ended.signal !== undefined) stream.exit(ended.signal, false, '');
    stream.end();
  }
}

function outcome(durationMs: number, kind: 'refused' | 'review' | 'unreachable'): CommandOutcome {
  return { type: 'command', durationMs, exitStatus: EXIT[kind] };
}
