import type { CopyOut } from '../../sql/types.js';
import { copyFormat, type CopyFormat } from './copy/index.js';

/**
 * A COPY … TO STDOUT in a string masks apply to: how its CopyData is
 * written, and a SELECT with the same columns in the same order, which the
 * relay Describes (never runs) to plan the masks as for a query result.
 */
export interface CopyOutRequest extends CopyFormat {
  describe: string;
  /** Set when the COPY cannot be masked (it is refused if masks reach it): why. */
  problem?: string;
}

/** Why a COPY TO cannot be masked on the wire, or `undefined` when it can. */
export function copyOutProblem(out: CopyOut | undefined): string | undefined {
  if (!out) return 'COPY TO a server file or program is refused';
  if (out.unsupported !== undefined) return `COPY TO with ${out.unsupported} is refused`;
  if (out.describe === undefined) return 'a COPY TO whose columns cannot be described is refused';
  return undefined;
}

/** How the relay masks a COPY TO STDOUT (or why it cannot). */
export function copyOutRequest(out: CopyOut | undefined): CopyOutRequest {
  const problem = copyOutProblem(out);
  const format = copyFormat(
    out
      ? {
          format: out.format,
          header: out.header,
          ...(out.delimiter === undefined ? {} : { delimiter: out.delimiter }),
          ...(out.null === undefined ? {} : { null: out.null }),
          ...(out.quote === undefined ? {} : { quote: out.quote }),
          ...(out.escape === undefined ? {} : { escape: out.escape }),
        }
      : {},
  );
  return { ...format, describe: out?.describe ?? '', ...(problem ? { problem } : {}) };
}
