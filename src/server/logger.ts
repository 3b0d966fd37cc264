/**
 * The process's logger, as oslo.log's options say ([DEFAULT] debug,
 * log_file, log_dir, use_stderr, use_json, use_syslog; config/loggingOptions.ts):
 *
 * - where: `log_file` (under `log_dir` when relative), else
 *   `<log_dir>/<binary>.log`, else standard error; `use_stderr` adds standard
 *   error to a file. A file that cannot be opened stops the process naming
 *   the option. SIGHUP reopens the file (after logrotate moved it).
 * - how: human-readable lines (common/logFormat.ts), or JSON lines with
 *   `use_json`. The lines are formatted in-process by a small stream in
 *   front of pino's own destination (sonic-boom): no pino-pretty (a dozen
 *   packages for colours and options we do not need) and no transport worker
 *   thread; a JSON.parse per line is cheap next to the request it logs.
 * - `use_syslog` is not supported: a warning says so, the lines go where
 *   they would have gone (under systemd, standard error is the journal).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

import { pino, type DestinationStream, type Logger } from 'pino';

import { formatJsonLine } from '../common/logFormat.js';
import type { LoadedConfig } from '../config/load.js';
import type { loggingOptions } from '../config/loggingOptions.js';
import type { DeclsOf } from '../config/types.js';

export type { Logger };

export interface LoggingSettings {
  readonly debug: boolean;
  /** JSON lines instead of text. */
  readonly json: boolean;
  /** The log file; undefined: standard error only. */
  readonly file?: string;
  /** Standard error too, when there is a file. */
  readonly stderr: boolean;
  /** use_syslog was asked for (and is not supported). */
  readonly syslog: boolean;
}

/** Standard error, text lines, info level: what a command logs before its configuration is read. */
export const DEFAULT_LOGGING: LoggingSettings = { debug: false, json: false, stderr: true, syslog: false };

type LoggingConfig = LoadedConfig<DeclsOf<readonly [typeof loggingOptions]>>;

/** Where and how `binary` (nucleon-server, nucleon-dhcp-agent...) logs; opens the file once to fail early, naming the option. */
export function loggingSettings(loaded: LoggingConfig, binary: string): LoggingSettings {
  const d = loaded.config.DEFAULT;
  const logDir = d.log_dir?.trim() || undefined;
  const logFile = d.log_file?.trim() || undefined;
  const file = logFile !== undefined ? (isAbsolute(logFile) || logDir === undefined ? logFile : join(logDir, logFile)) : logDir !== undefined ? join(logDir, `${binary}.log`) : undefined;
  if (file !== undefined) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      closeSync(openSync(file, 'a'));
    } catch (err) {
      const reason = `cannot write the log file ${file}: ${err instanceof Error ? err.message : String(err)}`;
      throw loaded.errorFor('DEFAULT', logFile !== undefined ? 'log_file' : 'log_dir', reason);
    }
  }
  return { debug: d.debug, json: d.use_json, stderr: d.use_stderr, syslog: d.use_syslog, ...(file !== undefined ? { file } : {}) };
}

/** `settings` may be a bare debug flag (tools and tests that only choose the level). */
export function createLogger(name: string, settings: LoggingSettings | boolean = DEFAULT_LOGGING): Logger {
  const s = typeof settings === 'boolean' ? { ...DEFAULT_LOGGING, debug: settings } : settings;
  const destinations: DestinationStream[] = [];
  if (s.file !== undefined) {
    const file = pino.destination({ dest: s.file, append: true, mkdir: true, sync: false });
    process.on('SIGHUP', () => file.reopen());
    destinations.push(file);
  }
  if (s.file === undefined || s.stderr) destinations.push(pino.destination({ fd: 2, sync: false }));
  const write = (line: string) => {
    for (const destination of destinations) destination.write(line);
  };
  const stream: DestinationStream = { write: s.json ? write : (line: string) => write(formatJsonLine(line)) };
  const logger = pino({ name, level: s.debug ? 'debug' : 'info' }, destinations.length === 1 && s.json ? destinations[0]! : stream);
  if (s.syslog) logger.warn('use_syslog is not supported: logging to the log file or standard error instead (under systemd, standard error reaches the journal)');
  return logger;
}
