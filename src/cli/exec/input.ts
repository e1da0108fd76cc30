import { readFile } from 'node:fs/promises';
import { HoopError } from '../../lib/errors.js';

export interface InputSources {
  /** `-i`: the request itself. */
  input?: string | undefined;
  /** `-f`: a file holding it; `-` is stdin. */
  file?: string | undefined;
  /** Where stdin is read from when neither is given. */
  stdin?: NodeJS.ReadStream;
  /**
   * No input is fine (`--review ID` runs the approved text): nothing on a
   * terminal, or an empty stdin, gives undefined instead of an error.
   * Whatever `-i` or `-f` gives must still be non-empty.
   */
  optional?: boolean;
}

/**
 * The request `hoop exec` sends: `-i`, else `-f FILE`, else stdin when it is
 * not a terminal (a pipe or a redirect, the way agents pass long SQL).
 * With `optional`, undefined when none of them gives anything.
 *
 * @throws HoopError `HOOP_USAGE` when there is nothing to send, or the file cannot be read.
 */
export async function readExecInput(
  sources: InputSources & { optional: true },
): Promise<string | undefined>;
export async function readExecInput(sources: InputSources): Promise<string>;
export async function readExecInput(sources: InputSources): Promise<string | undefined> {
  const stdin = sources.stdin ?? process.stdin;
  let text: string;
  if (sources.input !== undefined) {
    text = sources.input;
  } else if (sources.file !== undefined && sources.file !== '-') {
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      throw new HoopError(
        'HOOP_USAGE',
        `cannot read ${sources.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { hint: 'Check the path given to -f.', cause: error },
      );
    }
  } else if (sources.file === '-' || !stdin.isTTY) {
    text = await readAll(stdin);
    if (sources.optional && sources.file === undefined && text.trim() === '') return undefined;
  } else if (sources.optional) {
    return undefined;
  } else {
    throw new HoopError('HOOP_USAGE', 'nothing to run', {
      hint: 'Pass the SQL with -i "select …", -f FILE, or on stdin.',
    });
  }
  if (text.trim() === '') {
    throw new HoopError('HOOP_USAGE', 'the input is empty', {
      hint: 'Pass the SQL with -i "select …", -f FILE, or on stdin.',
    });
  }
  return text;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
