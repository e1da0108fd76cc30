import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { HoopError } from '../../lib/errors.js';
import type { Logger } from '../logger.js';
import { loadConfig } from './load.js';
import type { GatewayConfig } from './types.js';

export interface ConfigReloaderOptions {
  /** The config the gateway started with (its `file` is read again). */
  config: GatewayConfig;
  log: Logger;
  /** Puts the reloadable parts of a valid config in force. */
  apply: (config: GatewayConfig, trigger: string) => Promise<void>;
  /** Reload when the file changes; default true. */
  watch?: boolean;
  /** Quiet time after the last change before the file is read; default 100 ms. */
  debounceMs?: number;
}

export type ConfigReloadResult = { ok: true } | { ok: false; error: HoopError };

/**
 * Reads the gateway's config file again on SIGHUP and when it changes, as
 * the policy reloader does for the policy file: a file that does not load
 * (syntax, validation, a secret that does not resolve) is refused, logged
 * as an error with its file:line and key, and the config in force stays.
 * What a valid file changes is put in force by `apply`. The directory is
 * watched, not the file: editors replace files by renaming over them.
 */
export class ConfigReloader {
  private readonly watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ConfigReloaderOptions) {
    const { file } = options.config;
    if (options.watch !== false && file !== '<inline>') {
      const name = basename(file);
      this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name || changed.startsWith('..')) this.schedule();
      });
      this.watcher.on('error', (error) => {
        options.log.warn(
          { err: error, event: 'config_watch_failed', file },
          'cannot watch the config file; reload with SIGHUP',
        );
      });
    }
  }

  /** Reads the file again and applies it if it is valid; one reload at a time, in order. */
  reload(trigger: string): Promise<ConfigReloadResult> {
    const next = this.queue.then(() => this.load(trigger));
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
    this.timer = setTimeout(() => void this.reload('file_change'), this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  private async load(trigger: string): Promise<ConfigReloadResult> {
    const { config, log } = this.options;
    let next: GatewayConfig;
    try {
      next = await loadConfig(config.file);
    } catch (error) {
      const refused =
        error instanceof HoopError
          ? error
          : new HoopError('HOOP_CONFIG_INVALID', (error as Error).message, { cause: error });
      // Loud: the file on disk is not what the gateway enforces.
      log.error(
        { event: 'config_reload_failed', file: config.file, trigger, code: refused.code },
        `config reload refused; the last good config stays in force: ${refused.message}`,
      );
      return { ok: false, error: refused };
    }
    if (this.closed) return { ok: true };
    await this.options.apply(next, trigger);
    return { ok: true };
  }
}
