/** Neutron's timestamp form: UTC, whole seconds, `2026-11-25T22:19:52Z`. Sorts correctly as text. */
export function utcNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * neutron_lib's ISO8601_TIME_FORMAT (`%Y-%m-%dT%H:%M:%S.%f`, UTC without a
 * zone): the `time` an agent's report_state carries, which Neutron's server
 * parses with exactly that format.
 */
export function neutronReportTime(date = new Date()): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

/** Python's str(datetime.utcnow()) (`2026-12-06 12:00:00.123000`): the `timestamp` Neutron's context carries. */
export function pythonDatetime(date = new Date()): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}
