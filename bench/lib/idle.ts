import { setTimeout as sleep } from 'node:timers/promises';
import { closeAll, openIdle } from './load.js';
import { progress, verdict, type PhaseContext } from './phase.js';
import { startStack } from './stack.js';
import { MiB, mib } from './stats.js';

/** `--tunnels` connections held open and idle through one `hoop connect`. */
export async function idlePhase(context: PhaseContext): Promise<void> {
  const { options, targets, rows } = context;
  const stack = await startStack({
    dir: context.dir,
    targets: { idle: targets.idle.port },
    tunnel: options.tunnel,
  });
  try {
    const { cli, port } = await stack.connect('idle');
    const { gateway } = stack;
    await closeAll((await openIdle(port, 1)).sockets);
    await sleep(500);
    const before = { gateway: gateway.rss(), cli: cli.rss() };
    const start = performance.now();
    const { sockets, greeted } = await openIdle(port, options.tunnels);
    const openedIn = (performance.now() - start) / 1000;
    await sleep(1000);
    if (targets.idle.open < options.tunnels)
      throw new Error(`only ${targets.idle.open} of ${options.tunnels} tunnels reached the target`);
    const held = { gateway: gateway.rss(), cli: cli.rss() };
    const perTunnel = (bytes: number): string =>
      `${bytes >= 0 ? '+' : ''}${(bytes / 1024 / options.tunnels).toFixed(1)} KiB/tunnel`;
    progress(
      `${options.tunnels} idle tunnels open in ${openedIn.toFixed(1)} s, ${greeted} greeted; ` +
        `gateway ${mib(before.gateway)} → ${mib(held.gateway)}, CLI ${mib(before.cli)} → ${mib(held.cli)}`,
    );
    rows.push({
      metric: `idle tunnels that delivered the target's first byte`,
      direct: '',
      hoop: `${greeted} of ${options.tunnels}`,
      compare: '',
      reference: '',
      target: 'all',
      result: verdict(greeted === options.tunnels),
    });
    rows.push({
      metric: `gateway RSS, ${options.tunnels} idle tunnels`,
      direct: '',
      hoop: mib(held.gateway),
      compare: perTunnel(held.gateway - before.gateway),
      reference: '',
      target: '< 150 MiB',
      result: verdict(held.gateway < 150 * MiB),
    });
    rows.push({
      metric: `CLI RSS, ${options.tunnels} idle tunnels`,
      direct: '',
      hoop: mib(held.cli),
      compare: perTunnel(held.cli - before.cli),
      reference: '',
      target: '',
      result: 'info',
    });
    await closeAll(sockets);
  } finally {
    await stack.close();
  }
}
