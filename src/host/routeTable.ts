/** The main routing table of a namespace, both families, read with `ip -json route`. */
import { runCommand } from './command.js';

export interface RouteEntry {
  /** `default` or a prefix (a host route may print without its /32 or /128). */
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
}

const parse = (text: string): RouteEntry[] => (text.trim() === '' ? [] : (JSON.parse(text) as RouteEntry[]));

/** The IPv4 and IPv6 routes of the main table. */
export async function listRoutes(netns: string): Promise<RouteEntry[]> {
  const [v4, v6] = await Promise.all([
    runCommand('ip', ['-n', netns, '-4', '-json', 'route', 'show', 'table', 'main']),
    runCommand('ip', ['-n', netns, '-6', '-json', 'route', 'show', 'table', 'main']),
  ]);
  return [...parse(v4), ...parse(v6)];
}
