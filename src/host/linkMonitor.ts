/**
 * Watches a namespace's links as they come and go (`ip -o monitor link`),
 * so the Linux bridge agent sees a new tap device at once (lineMonitor.ts).
 */
import { LineMonitor } from './lineMonitor.js';

export interface LinkEvent {
  /** `Deleted` lines: the device went away. */
  readonly deleted: boolean;
  readonly ifname: string;
}

/** One `ip -o monitor link` line: `[Deleted ]<index>: <name>[@<peer>]: <flags> ...`. */
export function parseLinkEvent(line: string): LinkEvent | undefined {
  const match = /^(Deleted )?\d+: ([^:@\s]+)(@[^:\s]+)?:/.exec(line.trim());
  if (!match) return undefined;
  return { deleted: match[1] !== undefined, ifname: match[2]! };
}

export class LinkMonitor extends LineMonitor {
  constructor(netns: string | undefined, onEvent: (event: LinkEvent) => void, onError?: (err: Error) => void) {
    super(
      'ip',
      [...(netns === undefined ? [] : ['-n', netns]), '-o', 'monitor', 'link'],
      (line) => {
        const event = parseLinkEvent(line);
        if (event) onEvent(event);
      },
      onError,
    );
  }
}
