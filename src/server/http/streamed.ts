import type { ServerResponse } from 'node:http';

/**
 * A route's answer that is written over time instead of as one JSON body
 * (JSON Lines exports, server-sent events). The API sends the status and
 * headers, then hands the response to `write`; an error thrown before the
 * first byte still becomes the usual JSON error.
 */
export class Streamed {
  constructor(
    readonly headers: Record<string, string>,
    readonly write: (res: ServerResponse) => Promise<void>,
  ) {}
}

/** Writes one chunk and waits while the client's socket is full, so a slow reader sets the pace. */
export function writeChunk(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the client went away'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', gone);
      resolve();
    };
    const gone = (): void => {
      res.off('drain', done);
      reject(new Error('the client went away'));
    };
    res.once('drain', done);
    res.once('close', gone);
  });
}

/**
 * Sends a streamed answer: status and headers at once (so a tail knows it is
 * open), then the body as `write` produces it. A client that goes away ends
 * it quietly; any other failure after the headers is the caller's to log
 * (the connection is then cut, so the client sees an incomplete response).
 */
export async function sendStreamed(
  res: ServerResponse,
  status: number,
  body: Streamed,
  headOnly: boolean,
): Promise<void> {
  res.writeHead(status, { ...body.headers, 'cache-control': 'no-store' });
  if (headOnly) {
    res.end();
    return;
  }
  res.flushHeaders();
  try {
    await body.write(res);
  } catch (error) {
    if (res.destroyed) return;
    throw error;
  }
  res.end();
}
