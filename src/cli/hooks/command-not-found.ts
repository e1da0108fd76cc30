import type { Hook } from '@oclif/core';

/**
 * `hoop conect` (and `hoop audit lst`): says the command does not exist,
 * suggests the closest one, and exits 2 (DESIGN.md: a usage error), in the
 * CLI's two-line error format. Runs offline on what the manifest already
 * holds (command IDs and topics), so nothing else loads; oclif's own
 * plugin-not-found would bring a prompt library and exit 127.
 */
const hook: Hook.CommandNotFound = async function (options) {
  // With spaces between topic and command, oclif's ID takes the arguments too (`conect:pg-prod`).
  const words = options.id.split(':');
  const known = [
    ...new Set([
      ...options.config.commandIDs.map((id) => id.replaceAll(':', ' ')),
      ...options.config.topics.map((topic) => topic.name.replaceAll(':', ' ')),
    ]),
  ];
  // The longest start of what was typed that is near a command: `audit lst` rather than `audit`.
  let typed = words[0] ?? '';
  let suggestion: string | undefined;
  let nearest = Infinity;
  for (let count = words.length; count > 0; count--) {
    const start = words.slice(0, count).join(' ');
    const found = closest(start, known);
    // A start that names a topic exactly (`audit` of `audit lst`) is not what was mistyped.
    if (found !== undefined && found.distance > 0 && found.distance < nearest) {
      ({ name: suggestion, distance: nearest } = found);
      typed = start;
    }
  }
  if (suggestion === undefined) {
    // Name the first word that is not a topic: `xyzzy`, or `audit frob` in `audit frob x`.
    const count = words.findIndex((_, i) => !known.includes(words.slice(0, i + 1).join(' ')));
    typed = words.slice(0, count === -1 ? words.length : count + 1).join(' ');
  }
  const bin = options.config.bin;
  process.stderr.write(
    `Error: \`${typed}\` is not a ${bin} command.\n` +
      (suggestion
        ? `Did you mean \`${bin} ${suggestion}\`? (\`${bin} --help\` lists the commands.)\n`
        : `See \`${bin} --help\` for the commands.\n`),
  );
  this.exit(2);
};

export default hook;

/**
 * The known name nearest to `typed`, if it is near enough to be what was
 * meant: two edits, or a third of the last word when it is longer
 * (`conect`, `audit lst`, `policy explian`; not `audit frob` for `audit show`).
 */
export function closest(
  typed: string,
  known: readonly string[],
): { name: string; distance: number } | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = levenshtein(typed, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  const last = typed.slice(typed.lastIndexOf(' ') + 1);
  const limit = Math.max(2, Math.floor(last.length / 3));
  return best && best.distance <= limit && best.distance < last.length ? best : undefined;
}

/** Edit distance: insertions, deletions and substitutions (one row at a time). */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
