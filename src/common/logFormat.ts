/**
 * pino's JSON records as the human-readable lines oslo.log writes:
 *
 *   2026-12-06 15:03:51.123 4242 INFO nucleon-server [req-6f1c... 9a8b...] GET /v2.0/networks status: 200 time: 0.0040
 *   2026-12-06 15:03:52.001 4242 WARNING nucleon-dhcp-agent [-] cannot reach the server (state reports): ... agent=dhcp
 *
 * (time in UTC, pid, level, logger name, [request id, project] or [-], the
 * message, then the record's other fields as key=value, then an error's
 * stack on the lines below). Pure, so it is tested without a process.
 */

/** pino's numeric levels, named as Python's logging names them. */
const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };

/** Fields the line shows in its fixed part (or never: pino's hostname). `http` is what the request line's message already says. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'request_id', 'project_id', 'reqId', 'err', 'http']);

const two = (n: number) => String(n).padStart(2, '0');

export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`
  );
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** One record (a parsed pino line) as one line, or several when it carries an error's stack; no trailing newline. */
export function formatRecord(record: Record<string, unknown>): string {
  const time = typeof record['time'] === 'number' ? formatTime(record['time']) : formatTime(Date.now());
  const level = LEVELS[record['level'] as number] ?? String(record['level']);
  const name = typeof record['name'] === 'string' ? record['name'] : 'nucleon';
  // fastify's request.log names the request id reqId.
  const requestId = record['request_id'] ?? record['reqId'];
  const context = typeof requestId === 'string' ? `[${requestId} ${typeof record['project_id'] === 'string' ? record['project_id'] : '-'}]` : '[-]';
  let line = `${time} ${String(record['pid'] ?? '-')} ${level} ${name} ${context} ${String(record['msg'] ?? '')}`;
  for (const [key, value] of Object.entries(record)) {
    if (!SHOWN.has(key) && value !== undefined) line += ` ${key}=${formatValue(value)}`;
  }
  const err = record['err'];
  if (err && typeof err === 'object') {
    const { message, stack } = err as { message?: unknown; stack?: unknown };
    if (typeof message === 'string' && !line.includes(message)) line += `: ${message}`;
    if (typeof stack === 'string') line += `\n${stack.replace(/^/gm, '    ')}`;
  } else if (err !== undefined) {
    line += ` err=${formatValue(err)}`;
  }
  return line;
}

/** A line pino wrote (JSON) as text; a line that is not JSON passes unchanged. */
export function formatJsonLine(json: string): string {
  try {
    const record: unknown = JSON.parse(json);
    if (record && typeof record === 'object' && !Array.isArray(record)) return `${formatRecord(record as Record<string, unknown>)}\n`;
  } catch {
    // Not ours: keep it as it came.
  }
  return json.endsWith('\n') ? json : `${json}\n`;
}
