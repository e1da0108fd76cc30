import type { IncomingMessage } from 'node:http';
import { HoopError } from '../../lib/errors.js';

/**
 * The request's path, without its query. Node's parser passes on any
 * request-target (RFC 9112 §3.2), including absolute forms such as
 * `http://%zz/` that `new URL` rejects, so a failure here is the client's
 * mistake (400), never an exception that escapes a request handler.
 */
export function requestPath(req: IncomingMessage): string {
  const target = req.url ?? '/';
  try {
    return new URL(target, 'http://gateway').pathname;
  } catch (error) {
    throw new HoopError('HOOP_BAD_REQUEST', 'the request target is not a valid URL path', {
      cause: error,
    });
  }
}

/** Decodes one percent-encoded path segment; malformed escapes (`%E0%A4%A`) are a 400, not a 500. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new HoopError(
      'HOOP_BAD_REQUEST',
      `the path segment ${JSON.stringify(segment)} holds a malformed percent-escape`,
      { cause: error },
    );
  }
}
