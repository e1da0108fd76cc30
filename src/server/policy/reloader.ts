import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

import { HoopError } from '../../lib/errors.js';
import type { Logger } from '../logger.js';
import { loadPolicyText, parsePolicy } from './parse.js';
import type { Policy } from './types.js';

/** What the gateway reports about its policy (`GET /api/policy`, `/healthz`). */
export interface PolicyStatus {
  /** The hash of the policy in force: the one audit events carry. */
  hash: string;
  /** The policy file, or `<inline>` for rules written in the gateway config. */
  source: string;
  /** When the policy in force was loaded. */
  loadedAt: string;
  /** The last reload attempt, if any. */
  lastReload?: {
    at: string;
    trigger: string;
    ok: boolean;
    /** Why the file was refused: the policy in force is still the previous one. */
    error?: { code: string; message: string; problems?: unknown };
  };
}

export type ReloadResult =
  { ok: true; changed: boolean; hash: string } | { ok: false; error: HoopError; hash: string };

export interface PolicyReloaderOptions {
  file: string;
  log: Logger;
  /** Reload when the file changes; default true. */
  watch?: boolean;
  /** Quiet time after the last change before the file is read; default 100 ms (editors write in steps). */
  debounceMs?: number;
  /** Told of each policy put in force, the first included (to log what is worth knowing about it). */
  onLoad?: (policy: Policy) => void;
}

/**
 * Holds the policy a gateway decides with and replaces it when its file
 * changes or on request (SIGHUP). A file that does not parse or validate is
 * refused: the last good policy stays in force, the problems are logged as
 * an error with their file:line:column, and {@link status} reports them
 * until a good version loads.
 *
 * The directory is watched rather than the file: editors and config
 * management replace a file by renaming a new one over it, which ends a
 * watch on the old inode.
 */
export class PolicyReloader {
  private policy: Policy;
  private loadedAt = new Date();
  private lastReload: PolicyStatus['lastReload'];
  /** The text last read, so that events for other files in the directory change nothing. */
  private lastText: string | undefined;
  private readonly watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /**
   * Loads the policy file and starts watching it.
   *
   * @throws HoopError `HOOP_POLICY_INVALID` when the file cannot be read or is invalid: nothing starts.
   */
  static async open(options: PolicyReloaderOptions): Promise<PolicyReloader> {
    const text = await loadPolicyText(options.file);
    const policy = parsePolicy(text, { file: options.file });
    options.onLoad?.(policy);
    return new PolicyReloader(options, policy, text);
  }

  private constructor(
    private readonly options: PolicyReloaderOptions,
    initial: Policy,
    text: string,
  ) {
    this.policy = initial;
    this.lastText = text;
    if (options.watch !== false) {
      const name = basename(options.file);
      this.watcher = watch(dirname(options.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name || changed.startsWith('..')) this.schedule();
      });
      this.watcher.on('error', (error) => {
        options.log.warn(
          { err: error, event: 'policy_watch_failed', file: options.file },
          'cannot watch the policy file; reload with SIGHUP',
        );
      });
    }
  }

  /** The policy to decide with now. */
  get current(): Policy {
    return this.policy;
  }

  status(): PolicyStatus {
    return {
      hash: this.policy.hash,
      source: this.options.file,
      loadedAt: this.loadedAt.toISOString(),
      ...(this.lastReload === undefined ? {} : { lastReload: this.lastReload }),
    };
  }

  /**
   * Reads the file again and puts it in force if it is valid. Reloads run
   * one at a time, in the order asked.
   */
  reload(trigger: string): Promise<ReloadResult> {
    const next = this.queue.then(() => this.load(trigger, true));
    this.queue = next.catch(() => {});
    return next;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const next = this.queue.then(() => this.load('file_change', false));
      this.queue = next.catch(() => {});
    }, this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  private async load(trigger: string, always: boolean): Promise<ReloadResult> {
    const { file, log } = this.options;
    const previous = this.policy.hash;
    let text: string;
    try {
      text = await loadPolicyText(file);
    } catch (error) {
      if (error instanceof HoopError) return this.refuse(trigger, error);
      throw error;
    }
    // A watch event for another file, or a write that left the text as it was.
    if (!always && text === this.lastText) return { ok: true, changed: false, hash: previous };
    this.lastText = text;
    let policy: Policy;
    try {
      policy = parsePolicy(text, { file });
    } catch (error) {
      if (error instanceof HoopError) return this.refuse(trigger, error);
      throw error;
    }
    const changed = policy.hash !== previous;
    this.policy = policy;
    if (changed) this.options.onLoad?.(policy);
    this.loadedAt = new Date();
    this.lastReload = { at: this.loadedAt.toISOString(), trigger, ok: true };
    if (changed) {
      log.info(
        {
          event: 'policy_reloaded',
          file,
          trigger,
          previous,
          hash: policy.hash,
          rules: policy.rules.length,
        },
        'policy reloaded',
      );
    } else {
      log.info({ event: 'policy_unchanged', file, trigger, hash: policy.hash }, 'policy unchanged');
    }
    return { ok: true, changed, hash: policy.hash };
  }

  private refuse(trigger: string, error: HoopError): ReloadResult {
    const { file, log } = this.options;
    const problems = error.details?.['problems'];
    this.lastReload = {
      at: new Date().toISOString(),
      trigger,
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        ...(problems === undefined ? {} : { problems }),
      },
    };
    // Loud: the file on disk is not what the gateway enforces.
    log.error(
      {
        event: 'policy_reload_failed',
        file,
        trigger,
        code: error.code,
        hash: this.policy.hash,
        problems,
      },
      `policy reload refused, the previous policy stays in force:\n${error.message}`,
    );
    return { ok: false, error, hash: this.policy.hash };
  }
}
