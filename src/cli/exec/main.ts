import { HoopError } from '../../lib/errors.js';
import { gatewayUrl } from '../settings.js';
import { formatJsonError, formatResults, formatSqlError, type OutputFormat } from './format.js';
import { readExecInput } from './input.js';
import { SqlError } from './postgres.js';
import { execOnConnection } from './run.js';

/** `hoop exec`'s arguments, once parsed (by oclif or by the fast path in `argv.ts`). */
export interface ExecCommandOptions {
  /** The connection's name. */
  name: string;
  /** `-i`. */
  input?: string | undefined;
  /** `-f`. */
  file?: string | undefined;
  output: OutputFormat;
  /** `--gateway`. */
  gateway?: string | undefined;
  /** `--review ID`: run the statement review ID approved (exactly its text, once). */
  review?: string | undefined;
  /** `--wait`: a statement that needs a review waits for it instead of exiting 4. */
  wait?: boolean | undefined;
}

/**
 * `hoop exec` from parsed arguments to output, shared by the oclif command
 * and the fast path `bin/run.js` takes, so both print the same bytes.
 *
 * @returns 0, or the exit code of the target's error (already printed).
 * @throws HoopError (its JSON form already printed with `--output json`) and
 *   anything unexpected, for the caller's one error handler.
 */
export async function runExecCommand(options: ExecCommandOptions): Promise<number> {
  try {
    const input = await readExecInput({ input: options.input, file: options.file });
    const { results } = await execOnConnection({
      gateway: gatewayUrl(options.gateway),
      name: options.name,
      input,
      ...(options.review ? { review: options.review } : {}),
      ...(options.wait ? { wait: true } : {}),
      onNotice: (severity, message) => process.stderr.write(`${severity}: ${message}\n`),
    });
    process.stdout.write(formatResults(results, options.output));
    return 0;
  } catch (error) {
    // With --output json a script reads the failure on stdout too, in one shape.
    if (options.output === 'json' && (error instanceof SqlError || error instanceof HoopError)) {
      process.stdout.write(formatJsonError(error));
    }
    if (error instanceof SqlError) {
      process.stderr.write(`${formatSqlError(error)}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
