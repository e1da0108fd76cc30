import { HoopError } from '../../lib/errors.js';
import { adviceFor } from '../advice.js';
import { gatewayUrl } from '../settings.js';
import { formatJsonError, formatResults, formatSqlError, type OutputFormat } from './format.js';
import { readExecInput } from './input.js';
import { SqlError } from './postgres.js';
import { reviewIdOf, sqlAdvice } from './sql-advice.js';
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
    // With --review, no input means: run the text the review approved.
    const input = await readExecInput({
      input: options.input,
      file: options.file,
      optional: options.review !== undefined,
    });
    const { results, exitStatus } = await execOnConnection({
      gateway: gatewayUrl(options.gateway),
      name: options.name,
      ...(input === undefined ? {} : { input }),
      ...(options.review ? { review: options.review } : {}),
      ...(options.wait ? { wait: true } : {}),
      onNotice: (severity, message) => process.stderr.write(`${severity}: ${message}\n`),
      onReviewText: (text) =>
        process.stderr.write(`Running what ${options.review} approved: ${oneLine(text)}\n`),
    });
    // SSH: the command wrote its own output; its exit status is the process's (3 refused, 4 review).
    if (exitStatus !== undefined) return exitStatus;
    process.stdout.write(formatResults(results, options.output));
    return 0;
  } catch (error) {
    // With --output json a script reads the failure on stdout too, in one shape.
    if (error instanceof SqlError) {
      const advice = sqlAdvice(error, options.name);
      if (options.output === 'json') {
        const review = reviewIdOf(error.message);
        process.stdout.write(
          formatJsonError({
            code: error.code,
            message: error.message,
            ...(error.detail === undefined ? {} : { detail: error.detail }),
            hint: advice,
            exitCode: error.exitCode,
            ...(review === undefined ? {} : { review }),
          }),
        );
      }
      process.stderr.write(`${formatSqlError(error, advice)}\n`);
      return error.exitCode;
    }
    if (options.output === 'json' && error instanceof HoopError) {
      process.stdout.write(
        formatJsonError({
          code: error.code,
          message: error.message,
          hint: adviceFor(error),
          exitCode: error.exitCode,
        }),
      );
    }
    throw error;
  }
}

/** A statement on one line of at most 100 characters, for a progress message. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
