/**
 * `[DEFAULT] transport_url` as oslo.messaging reads it:
 *
 *   rabbit://user:pass@host:5672/vhost
 *   rabbit://u1:p1@h1:5672,u2:p2@h2:5672,u3:p3@h3/     several brokers (a cluster), tried in turn
 *   rabbit://openstack:RABBIT%40PASS@[fd00::1]:5672/    percent-encoded password, IPv6 host
 *   rabbit://guest:guest@localhost/%2F                  vhost "/" written explicitly
 *   rabbit://guest:guest@localhost/?ssl=1               TLS (amqps), default port 5671
 *   amqp://...                                          the same (AMQP 0-9-1)
 *   memory://                                           the in-process bus
 *
 * The split follows oslo.messaging's TransportURL.parse, not WHATWG URL
 * parsing: the netloc is split on `,`, each part on its last `@`, user info
 * on its first `:`; user name, password and virtual host are percent-decoded.
 * An empty path (`.../`) is the default virtual host `/`. A host without
 * credentials gets RabbitMQ's defaults (guest/guest), as oslo does.
 */
import { InvalidTransportUrl } from './errors.js';

export interface RabbitHost {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

export type TransportUrl =
  | { readonly kind: 'memory' }
  | {
      readonly kind: 'rabbit';
      readonly hosts: readonly RabbitHost[];
      readonly virtualHost: string;
      /** `?ssl=1` (or `true`, `yes`): connect with TLS. */
      readonly tls: boolean;
      /** Query parameters other than `ssl`, as given (the AMQP transport ignores them). */
      readonly query: Readonly<Record<string, string>>;
    };

const DEFAULT_PORT = 5672;
const DEFAULT_TLS_PORT = 5671;
const DEFAULT_USER = 'guest';
const DEFAULT_PASSWORD = 'guest';

/** Python's `urllib.parse.unquote`: %XX runs decoded as UTF-8; a malformed `%` stays as it is. */
export function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** The URL with every password replaced by `***`, for messages and logs. */
export function redactTransportUrl(url: string): string {
  const scheme = /^([A-Za-z][\w+.-]*:\/\/)/.exec(url);
  if (!scheme?.[1]) return url;
  const rest = url.slice(scheme[1].length);
  const pathStart = rest.search(/[/?#]/);
  const netloc = pathStart < 0 ? rest : rest.slice(0, pathStart);
  const tail = pathStart < 0 ? '' : rest.slice(pathStart);
  const hosts = netloc.split(',').map((part) => {
    const at = part.lastIndexOf('@');
    if (at < 0) return part;
    const userinfo = part.slice(0, at);
    const colon = userinfo.indexOf(':');
    return colon < 0 ? part : `${userinfo.slice(0, colon)}:***${part.slice(at)}`;
  });
  return scheme[1] + hosts.join(',') + tail;
}

/** One broker for logs: `user@host:port`, never the password. */
export function describeHost(host: RabbitHost): string {
  const hostname = host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname;
  return `${host.username}@${hostname}:${host.port}`;
}

export function parseTransportUrl(url: string): TransportUrl {
  const text = url.trim();
  const fail = (reason: string): never => {
    throw new InvalidTransportUrl(`transport_url '${redactTransportUrl(text)}': ${reason}`);
  };
  const schemeMatch = /^([A-Za-z][\w+.-]*):\/\//.exec(text);
  if (!schemeMatch?.[1]) return fail('expected <scheme>://..., e.g. rabbit://user:pass@host:5672/');
  const scheme = schemeMatch[1].toLowerCase();
  let rest = text.slice(schemeMatch[0].length);

  const fragment = rest.indexOf('#');
  if (fragment >= 0) rest = rest.slice(0, fragment);
  const queryStart = rest.indexOf('?');
  const queryText = queryStart < 0 ? '' : rest.slice(queryStart + 1);
  if (queryStart >= 0) rest = rest.slice(0, queryStart);
  const pathStart = rest.indexOf('/');
  const netloc = pathStart < 0 ? rest : rest.slice(0, pathStart);
  const path = pathStart < 0 ? '' : rest.slice(pathStart + 1);

  if (scheme === 'memory') {
    if (netloc !== '' || path !== '') fail('memory:// takes no host or path');
    return { kind: 'memory' };
  }
  if (scheme !== 'rabbit' && scheme !== 'amqp') {
    return fail(`unsupported scheme '${scheme}' (supported: rabbit, amqp, memory)`);
  }

  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(queryText)) {
    // oslo joins repeated keys with ','
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  const sslText = query['ssl'];
  delete query['ssl'];
  let tls = false;
  if (sslText !== undefined) {
    const lowered = sslText.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lowered)) tls = true;
    else if (!['0', 'false', 'no', 'off', ''].includes(lowered)) fail(`ssl=${sslText} is not a boolean`);
  }

  const hosts: RabbitHost[] = [];
  for (const part of netloc.split(',')) {
    if (part === '') continue;
    let hostPart = part;
    let username: string | undefined;
    let password: string | undefined;
    const at = part.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = part.slice(0, at);
      hostPart = part.slice(at + 1);
      const colon = userinfo.indexOf(':');
      username = unquote(colon < 0 ? userinfo : userinfo.slice(0, colon));
      if (colon >= 0) password = unquote(userinfo.slice(colon + 1));
    }
    let hostname: string;
    let portText: string | undefined;
    if (hostPart.startsWith('[')) {
      const end = hostPart.indexOf(']');
      if (end < 0) fail(`unterminated IPv6 address in '${hostPart}'`);
      hostname = hostPart.slice(1, end);
      const after = hostPart.slice(end + 1);
      if (after !== '' && !after.startsWith(':')) fail(`unexpected '${after}' after IPv6 address`);
      portText = after === '' ? undefined : after.slice(1);
    } else {
      const colon = hostPart.indexOf(':');
      hostname = colon < 0 ? hostPart : hostPart.slice(0, colon);
      portText = colon < 0 ? undefined : hostPart.slice(colon + 1);
    }
    let port = tls ? DEFAULT_TLS_PORT : DEFAULT_PORT;
    if (portText !== undefined && portText !== '') {
      if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
        fail(`invalid port '${portText}'`);
      }
      port = Number(portText);
    }
    hosts.push({
      hostname: hostname === '' ? 'localhost' : hostname,
      port,
      username: username === undefined || username === '' ? DEFAULT_USER : username,
      password: password ?? DEFAULT_PASSWORD,
    });
  }
  if (hosts.length === 0) {
    hosts.push({ hostname: 'localhost', port: tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, username: DEFAULT_USER, password: DEFAULT_PASSWORD });
  }

  const virtualHost = unquote(path);
  return { kind: 'rabbit', hosts, virtualHost: virtualHost === '' ? '/' : virtualHost, tls, query };
}
