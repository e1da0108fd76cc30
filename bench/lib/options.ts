/**
 * A bench's `--name N` option as a positive whole number (rounded); a bad
 * value prints `usage` and exits 2, the benches' "could not run".
 */
export function positiveOption(usage: string): (name: string, text: string) => number {
  return (name, text) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      console.error(`bench: --${name} must be a positive number\n${usage}`);
      process.exit(2);
    }
    return Math.round(value);
  };
}
