/**
 * The worker thread of `OffThreadClassifier`: classifies the SQL strings it
 * is sent, one at a time, with the same classifier and limits as the
 * gateway's own thread, and posts each classification back (plain data: it
 * crosses threads by structured clone).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sqlClassifier } from './classify.js';
import type { SqlLimits } from './limits.js';
import { initSqlParser } from './parser.js';

const port = parentPort;
if (port) {
  const classify = sqlClassifier({
    limits: (workerData as { limits?: Partial<SqlLimits> }).limits ?? {},
  });
  await initSqlParser();
  port.on('message', (job: { id: number; sql: string }) => {
    port.postMessage({ id: job.id, classification: classify(job.sql) });
  });
  port.postMessage({ ready: true });
}
