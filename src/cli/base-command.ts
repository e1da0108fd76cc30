import { Command, Errors } from '@oclif/core';
import { HoopError } from '../lib/errors.js';

/**
 * The one place that turns errors into output and exit codes (DESIGN.md):
 * a line saying what went wrong, a line saying what to do, the code's exit
 * status. Commands just throw.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    if (error instanceof HoopError) {
      process.stderr.write(`Error: ${error.message}\n`);
      if (error.hint) process.stderr.write(`${error.hint}\n`);
      this.exit(error.exitCode);
    }
    // oclif's own flag and argument errors are usage errors: exit 2.
    if (error.oclif?.exit !== undefined || error instanceof Errors.CLIError) {
      process.stderr.write(
        `Error: ${error.message}\nSee \`hoop ${this.id?.replace(/:/g, ' ') ?? ''} --help\`.\n`,
      );
      this.exit(2);
    }
    process.stderr.write(`Error: ${error.stack ?? error.message}\n`);
    this.exit(1);
  }
}
