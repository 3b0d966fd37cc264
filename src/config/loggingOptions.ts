/**
 * oslo.log's options, as neutron.conf and every agent's file set them in
 * [DEFAULT]. `debug`, `log_dir`, `log_file` and `use_syslog` are also
 * declared (with the same types) in neutronOptions.ts; the loader accepts an
 * option declared twice when the declarations agree. server/logger.ts turns
 * the values into a logger (loggingSettingsFrom).
 */
import type { OptionGroup } from './types.js';

export const loggingOptions = [
  {
    section: 'DEFAULT',
    name: 'debug',
    type: { kind: 'boolean' },
    default: false,
    help: 'Log at debug level instead of the default info level.',
  },
  {
    section: 'DEFAULT',
    name: 'log_file',
    type: { kind: 'path' },
    help:
      'Log to this file. A relative name is taken under log_dir when log_dir is set. ' +
      'Unset: <log_dir>/<binary>.log when log_dir is set, else standard error.',
  },
  {
    section: 'DEFAULT',
    name: 'log_dir',
    type: { kind: 'path' },
    help: 'Directory for the log file: <log_dir>/<binary>.log (e.g. /var/log/neutron/nucleon-server.log) when log_file is unset.',
  },
  {
    section: 'DEFAULT',
    name: 'use_stderr',
    type: { kind: 'boolean' },
    default: false,
    help: 'Also log to standard error when logging to a file (without a file, logs always go to standard error).',
  },
  {
    section: 'DEFAULT',
    name: 'use_json',
    type: { kind: 'boolean' },
    default: false,
    help: 'Write JSON lines (one object per event) instead of the human-readable lines.',
  },
  {
    section: 'DEFAULT',
    name: 'use_syslog',
    type: { kind: 'boolean' },
    default: false,
    help:
      'Log to syslog. Not supported: the process warns and keeps logging to its file or standard error ' +
      '(under systemd, standard error already reaches the journal).',
  },
] as const satisfies OptionGroup;
