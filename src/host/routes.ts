/** Routes of a namespace, read with `ip -json route` (changes go through IpRoute.batch like any other line). */
import { runCommand } from './command.js';

interface RouteEntry {
  readonly dst: string;
  readonly gateway?: string;
}

/** The IPv4 default gateway of a namespace, if it has one. */
export async function defaultGateway(netns: string): Promise<string | undefined> {
  const out = await runCommand('ip', ['-n', netns, '-4', '-json', 'route', 'show', 'default']);
  const routes = out.trim() === '' ? [] : (JSON.parse(out) as RouteEntry[]);
  return routes.find((route) => route.dst === 'default' && route.gateway !== undefined)?.gateway;
}
