/** Neutron's timestamp form: UTC, whole seconds, `2026-11-25T22:19:52Z`. Sorts correctly as text. */
export function utcNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
