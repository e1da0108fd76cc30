import { HoopError } from '../../lib/errors.js';
import { formatHoopError } from '../advice.js';
import { parseExecArgv } from './argv.js';
import { runExecCommand } from './main.js';

/**
 * Runs `hoop exec` without oclif when its arguments are plain
 * (`parseExecArgv`): agents start one process per query, and oclif's
 * start-up (its own modules, the plugin and command manifest) would be most
 * of that process's time. Output, errors and exit codes are those of the
 * oclif command (src/commands/exec.ts with BaseCommand's error handler).
 *
 * @param argv the arguments after `hoop`.
 * @returns false, having done nothing, when oclif must handle the arguments.
 */
export async function runExecFastPath(argv: readonly string[]): Promise<boolean> {
  const options = parseExecArgv(argv);
  if (!options) return false;
  // As oclif does: `hoop exec … | head` closing the pipe early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    throw error;
  });
  let exitCode: number;
  try {
    exitCode = await runExecCommand(options);
  } catch (error) {
    if (error instanceof HoopError) {
      process.stderr.write(formatHoopError(error));
      exitCode = error.exitCode;
    } else {
      const unexpected = error as Error;
      process.stderr.write(`Error: ${unexpected.stack ?? unexpected.message}\n`);
      exitCode = 1;
    }
  }
  // oclif ends a failed command with process.exit, without waiting for open handles.
  if (exitCode !== 0) process.exit(exitCode);
  return true;
}
