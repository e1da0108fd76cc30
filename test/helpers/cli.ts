import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit } from './cleanup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI, as a user runs it (`npm test` builds before testing). */
export const HOOP_BIN = path.join(ROOT, 'bin/run.js');

let configDir: string | undefined;

/**
 * The HOOP_CONFIG_DIR every `hoop` of this test process gets unless a test
 * names its own: never the developer's ~/.config/hoop (a stored login, a
 * local CA), and removed when the process ends.
 */
function defaultConfigDir(): string {
  if (configDir === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoop-cli-config-'));
    configDir = dir;
    onExit(() => rmSync(dir, { recursive: true, force: true }));
  }
  return configDir;
}

/** The environment of a `hoop` child: this process's, no HOOP_TOKEN, a throwaway config dir, then `env`. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, HOOP_TOKEN: '', HOOP_CONFIG_DIR: defaultConfigDir(), ...env };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hoop ARGS` to completion with the given environment (HOOP_TOKEN, HOOP_GATEWAY …). */
export function runHoop(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOOP_BIN, ...args], {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface RunningHoop {
  child: ChildProcess;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first stdout match of `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGINT, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running `hoop` command (connect, server, demo). */
export function spawnHoop(args: string[], env: NodeJS.ProcessEnv = {}): RunningHoop {
  const child = spawn(process.execPath, [HOOP_BIN, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((waiter) => waiter());
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    notify();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => ({ stdout, stderr }),
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = stdout.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`),
          );
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(
            new Error(
              `hoop exited before printing ${pattern}; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          );
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
