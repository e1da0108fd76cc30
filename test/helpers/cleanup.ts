/**
 * Synchronous clean-ups (kill a throwaway server, remove its directory) for
 * whatever is still running when a test process ends without calling stop().
 */
const atExit = new Set<() => void>();

function runAll(): void {
  atExit.forEach((cleanup) => cleanup());
  atExit.clear();
}

process.once('exit', runAll);
// The test runner ends a file's process with SIGTERM (on Ctrl-C, for one), and a
// signal's default action skips 'exit'. Clean up, then let the signal take its
// default course unless someone else listens for it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    runAll();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Registers a synchronous clean-up; returns the function that unregisters it. */
export function onExit(cleanup: () => void): () => void {
  atExit.add(cleanup);
  return () => atExit.delete(cleanup);
}
