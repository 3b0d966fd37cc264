/**
 * One pass's changes as data: what the agent would do to namespaces,
 * devices, files, dnsmasq and the metadata proxy. The agent applies the
 * steps in order, or prints them (`--dry-run`) without touching anything.
 */
import type { MetadataProxySpec } from '../metadata/proxyProcess.js';
import { describeOvsPlug, type OvsPlugStep } from '../plug/ovsPlug.js';

export type Step =
  | { readonly kind: 'add-namespace'; readonly name: string }
  | { readonly kind: 'ip'; readonly netns: string | undefined; readonly lines: readonly string[] }
  /** interface_driver openvswitch: the tap joins the integration bridge named as the DHCP port. */
  | OvsPlugStep
  | { readonly kind: 'checksum-rule'; readonly netns: string }
  | { readonly kind: 'write-file'; readonly path: string; readonly contents: string }
  /** `logDir`: where dnsmasq_base_log_dir puts its log, created first. */
  | { readonly kind: 'start-dnsmasq'; readonly netns: string; readonly args: readonly string[]; readonly pidFile: string; readonly logDir?: string }
  | { readonly kind: 'restart-dnsmasq'; readonly pid: number; readonly netns: string; readonly args: readonly string[]; readonly pidFile: string; readonly logDir?: string }
  | { readonly kind: 'reload-dnsmasq'; readonly pid: number; readonly networkId: string }
  | { readonly kind: 'ensure-metadata-proxy'; readonly spec: MetadataProxySpec }
  | { readonly kind: 'stop-metadata-proxy'; readonly spec: Pick<MetadataProxySpec, 'stateDir' | 'owner'> }
  | { readonly kind: 'stop-dnsmasq'; readonly pid: number }
  | { readonly kind: 'delete-namespace'; readonly name: string }
  | { readonly kind: 'release-dhcp-port'; readonly networkId: string; readonly deviceId: string }
  | { readonly kind: 'remove-dir'; readonly path: string }
  /** Only in a dry run: the server would be asked for a port this pass does not create. */
  | { readonly kind: 'create-dhcp-port'; readonly networkId: string };

/** How a step reads in a dry run: one or more lines a person (or a test) can read. */
export function describeStep(step: Step): string[] {
  switch (step.kind) {
    case 'add-namespace':
      return [`ip netns add ${step.name}`];
    case 'ovs-plug':
    case 'ovs-unplug':
      return [describeOvsPlug(step)];
    case 'ip':
      return step.lines.map((line) => `ip${step.netns === undefined ? '' : ` -n ${step.netns}`} ${line}`);
    case 'checksum-rule':
      return [`ip netns exec ${step.netns} iptables -t mangle -A POSTROUTING -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill`];
    case 'write-file':
      return [`write ${step.path} (${step.contents.split('\n').filter((line) => line !== '').length} lines)`];
    case 'start-dnsmasq':
      return [`ip netns exec ${step.netns} dnsmasq ${step.args.join(' ')}`];
    case 'restart-dnsmasq':
      return [`kill ${step.pid} (dnsmasq: its command line changed)`, `ip netns exec ${step.netns} dnsmasq ${step.args.join(' ')}`];
    case 'reload-dnsmasq':
      return [`kill -HUP ${step.pid} (dnsmasq of network ${step.networkId} re-reads host, addn_hosts, opts)`];
    case 'ensure-metadata-proxy':
      return [`metadata proxy: haproxy in ${step.spec.netns} on ${step.spec.bindAddress}:${step.spec.bindPort} -> ${step.spec.socketPath} (kept when running)`];
    case 'stop-metadata-proxy':
      return [`stop the metadata proxy of network ${step.spec.owner.id}`];
    case 'stop-dnsmasq':
      return [`kill ${step.pid} (dnsmasq)`];
    case 'delete-namespace':
      return [`ip netns delete ${step.name}`];
    case 'release-dhcp-port':
      return [`rpc release_dhcp_port network_id=${step.networkId} device_id=${step.deviceId}`];
    case 'remove-dir':
      return [`rm -r ${step.path}`];
    case 'create-dhcp-port':
      return [`rpc create_dhcp_port / update_dhcp_port on network ${step.networkId} (its device, files and dnsmasq follow once the port has its addresses)`];
  }
}
