import { Worker } from 'node:worker_threads';
import type { SqlLimits } from './limits.js';
import type { Classification } from './types.js';

export interface OffThreadOptions {
  limits?: Partial<SqlLimits>;
  /**
   * How long one classification may take before the string is refused
   * (`HOOP_SQL_TOO_SLOW`) and the worker replaced. Default 5 s.
   */
  timeoutMs?: number;
}

interface Job {
  id: number;
  sql: string;
  resolve: (classification: Classification) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Classifies long SQL strings on a worker thread, so that parsing a large
 * statement (tens of milliseconds to seconds, within the classifier's
 * limits) never stalls the event loop that relays every other session. One
 * worker, strings classified in arrival order; a string that takes longer
 * than `timeoutMs` is refused and the worker replaced (fail closed, bounded).
 */
export class OffThreadClassifier {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: OffThreadOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  classify(sql: string): Promise<Classification> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, sql, resolve });
      this.pump();
    });
  }

  /** Stops the worker; strings still queued are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.resolve(refused(job.sql, 'the gateway is stopping'));
    if (this.running) {
      clearTimeout(this.running.timer);
      this.running.resolve(refused(this.running.sql, 'the gateway is stopping'));
      this.running = undefined;
    }
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Promise<void> {
    const workerData = { limits: this.options.limits ?? {} };
    // Built, the worker is the .js beside this module. From the sources (tests
    // and `bin/dev.js`, under tsx) it is the .ts, loaded after tsx's hooks are
    // registered in the worker itself (loader hooks are not inherited).
    const here = import.meta.url;
    const source = new URL('./classify-worker.ts', here).href;
    const worker = here.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
          { eval: true, workerData },
        )
      : new Worker(new URL('./classify-worker.js', here), { workerData });
    worker.unref();
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on(
        'message',
        (message: { ready?: true; id?: number; classification?: Classification }) => {
          if (message.ready) {
            resolve();
            return;
          }
          const job = this.running;
          if (!job || job.id !== message.id || !message.classification) return;
          clearTimeout(job.timer);
          this.running = undefined;
          job.resolve(message.classification);
          this.pump();
        },
      );
    });
    worker.on('error', () => this.replace('the SQL classifier failed'));
    worker.on('exit', () => {
      if (this.worker === worker) this.replace('the SQL classifier stopped');
    });
    return ready;
  }

  private pump(): void {
    if (this.closed || this.running || this.queue.length === 0) return;
    this.ready ??= this.start();
    const job = this.queue.shift()!;
    this.running = job;
    this.ready.then(
      () => {
        if (this.running !== job) return;
        job.timer = setTimeout(
          () =>
            this.replace(
              `classifying the statement took over ${this.timeoutMs} ms`,
              'HOOP_SQL_TOO_SLOW',
            ),
          this.timeoutMs,
        );
        job.timer.unref();
        this.worker?.postMessage({ id: job.id, sql: job.sql });
      },
      () => this.replace('the SQL classifier could not start'),
    );
  }

  /** Refuses the string in progress and starts a new worker for the rest. */
  private replace(
    why: string,
    code: 'HOOP_SQL_TOO_SLOW' | 'HOOP_SQL_TOO_DEEP' = 'HOOP_SQL_TOO_DEEP',
  ): void {
    const job = this.running;
    this.running = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.resolve(refused(job.sql, why, code));
    }
    const old = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    void old?.terminate();
    this.pump();
  }
}

function refused(
  sql: string,
  message: string,
  code: 'HOOP_SQL_TOO_SLOW' | 'HOOP_SQL_TOO_DEEP' = 'HOOP_SQL_TOO_DEEP',
): Classification {
  return { ok: false, reason: 'limit', error: { message, code }, text: sql };
}
