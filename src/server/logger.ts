import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stderr, so stdout stays for what a command prints for people. */
export function createLogger(name: string, debug: boolean): Logger {
  return pino({ name, level: debug ? 'debug' : 'info' }, pino.destination({ fd: 2, sync: false }));
}
