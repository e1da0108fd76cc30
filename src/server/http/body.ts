import type { IncomingMessage } from 'node:http';
import { HoopError } from '../../lib/errors.js';

/** The largest JSON body an API request may carry (reasons, a connection name). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a request's JSON object body, at most `maxBytes` of it. An empty
 * body is `{}`; anything else that is not a JSON object is a 400.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new HoopError('HOOP_BAD_REQUEST', `the request body is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HoopError('HOOP_BAD_REQUEST', 'the request body is not valid JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HoopError('HOOP_BAD_REQUEST', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** An optional string field of a body; a 400 naming the field when it is something else. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new HoopError('HOOP_BAD_REQUEST', `"${field}" must be a string`);
  }
  return value;
}
