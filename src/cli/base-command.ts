import { Command, Errors } from '@oclif/core';
import { HoopError } from '../lib/errors.js';
import { formatHoopError } from './advice.js';

/**
 * The one place that turns errors into output and exit codes (DESIGN.md):
 * what went wrong, then one line saying what to do, then the code's exit
 * status. Commands just throw.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    if (error instanceof HoopError) {
      process.stderr.write(formatHoopError(error));
      this.exit(error.exitCode);
    }
    // oclif's own flag and argument errors are usage errors: exit 2, with our advice
    // line instead of oclif's "See more help with --help".
    if (error.oclif?.exit !== undefined || error instanceof Errors.CLIError) {
      const message = error.message
        .replace(/^The following errors? occurred:\s*/, '')
        .replace(/\n?See more help with --help\s*$/, '')
        .replace(/\n\s+/g, '\n');
      process.stderr.write(`Error: ${message}\nSee \`${this.usage()} --help\`.\n`);
      this.exit(2);
    }
    process.stderr.write(`Error: ${error.stack ?? error.message}\n`);
    this.exit(1);
  }

  /** `hoop keys generate`, as the user typed it. */
  private usage(): string {
    return [this.config.bin, ...(this.id ? this.id.split(':') : [])].join(' ');
  }
}
