/**
 * Resolves with the first SIGINT or SIGTERM, then stops listening: a second
 * Ctrl-C while the command shuts down falls to Node's default and ends the
 * process at once, as users of long-running commands expect.
 */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
