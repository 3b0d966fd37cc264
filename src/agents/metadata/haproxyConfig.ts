/**
 * The haproxy configuration of one metadata proxy, as Neutron writes it:
 * `global` and `defaults` from neutron/common/metadata.py, the listener from
 * neutron/agent/metadata/driver.py. The `log`, `log-tag`, `user` and `group`
 * lines are left out: haproxy runs as the agent's user and logs nothing.
 *
 * The proxy is what makes the metadata agent able to tell VMs apart:
 * `option forwardfor` adds the VM's source address as X-Forwarded-For, and
 * the listener stamps the owning network (or router) id on every request,
 * first deleting the other kind so a VM cannot claim to be behind a router
 * it is not (the agent trusts exactly these two headers and nothing else a
 * VM sends).
 */

export interface MetadataProxyOwner {
  readonly kind: 'network' | 'router';
  readonly id: string;
}

export interface HaproxyConfigInput {
  readonly owner: MetadataProxyOwner;
  readonly bindAddress: string;
  readonly bindPort: number;
  /** The metadata agent's Unix socket (metadata_proxy_socket). */
  readonly socketPath: string;
  readonly pidFile: string;
}

/** The header haproxy sets for this kind of owner: X-Neutron-Network-ID or X-Neutron-Router-ID. */
export function ownerHeader(kind: MetadataProxyOwner['kind']): string {
  return kind === 'network' ? 'X-Neutron-Network-ID' : 'X-Neutron-Router-ID';
}

/** Values end up inside a config file: a newline or space in one would inject directives. */
function assertToken(what: string, value: string): void {
  if (value === '' || /[\s#"'\\]/.test(value)) throw new Error(`metadata proxy ${what} ${JSON.stringify(value)} cannot go into an haproxy config`);
}

export function haproxyConfig(input: HaproxyConfigInput): string {
  assertToken('owner id', input.owner.id);
  assertToken('bind address', input.bindAddress);
  assertToken('socket path', input.socketPath);
  assertToken('pid file', input.pidFile);
  if (!Number.isInteger(input.bindPort) || input.bindPort < 1 || input.bindPort > 65535) {
    throw new Error(`metadata proxy bind port ${input.bindPort} is not a TCP port`);
  }
  const other = input.owner.kind === 'network' ? 'router' : 'network';
  return [
    'global',
    '    maxconn     1024',
    `    pidfile     ${input.pidFile}`,
    '    daemon',
    '',
    'defaults',
    '    mode http',
    '    option http-server-close',
    '    option forwardfor',
    '    retries                 3',
    '    timeout http-request    30s',
    '    timeout connect         30s',
    '    timeout client          32s',
    '    timeout server          32s',
    '    timeout http-keep-alive 30s',
    '',
    'listen listener',
    // haproxy reads the port after the last colon, so an IPv6 address goes as is (as Neutron writes it)
    `    bind ${input.bindAddress}:${input.bindPort}`,
    `    server metadata ${input.socketPath}`,
    `    http-request del-header ${ownerHeader(other)}`,
    `    http-request set-header ${ownerHeader(input.owner.kind)} ${input.owner.id}`,
    '',
  ].join('\n');
}
