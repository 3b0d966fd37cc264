/**
 * One pass's changes to this host's routers as data: the agent applies the
 * steps in order, or prints them (`--dry-run`) without touching anything.
 */
import type { NftTableRef } from '../../host/nftables.js';
import type { MetadataProxySpec } from '../metadata/proxyProcess.js';
import { describeOvsPlug, type OvsPlugStep } from '../plug/ovsPlug.js';

export type Step =
  | { readonly kind: 'add-namespace'; readonly name: string }
  /** `ip -batch` lines in a namespace (undefined: the agent's own, where the taps live). */
  | { readonly kind: 'ip'; readonly netns: string | undefined; readonly lines: readonly string[] }
  /** interface_driver openvswitch: the tap joins (or leaves) the integration bridge named as the router port. */
  | OvsPlugStep
  | { readonly kind: 'sysctl'; readonly netns: string; readonly settings: readonly string[] }
  /** Replaces the table by `definition` in one `nft -f` transaction. */
  | { readonly kind: 'nft'; readonly netns: string; readonly table: NftTableRef; readonly definition: string }
  /** Forgets the connections of a floating IP that went away or moved to another fixed address. */
  | { readonly kind: 'flush-conntrack'; readonly netns: string; readonly address: string }
  /** Gratuitous ARP for an address just added, in the background. */
  | { readonly kind: 'announce'; readonly netns: string; readonly device: string; readonly address: string }
  | { readonly kind: 'ensure-metadata-proxy'; readonly spec: MetadataProxySpec }
  | { readonly kind: 'stop-metadata-proxy'; readonly spec: Pick<MetadataProxySpec, 'stateDir' | 'owner'> }
  | { readonly kind: 'delete-namespace'; readonly name: string };

/** How a step reads in a dry run: lines a person (or a test) can read. */
export function describeStep(step: Step): string[] {
  switch (step.kind) {
    case 'add-namespace':
      return [`ip netns add ${step.name}`];
    case 'ip':
      return step.lines.map((line) => `ip${step.netns === undefined ? '' : ` -n ${step.netns}`} ${line}`);
    case 'ovs-plug':
    case 'ovs-unplug':
      return [describeOvsPlug(step)];
    case 'sysctl':
      return [`ip netns exec ${step.netns} sysctl -w ${step.settings.join(' ')}`];
    case 'nft':
      return [`ip netns exec ${step.netns} nft -f - (replaces table ${step.table.family} ${step.table.name}):`, ...step.definition.trimEnd().split('\n').map((line) => (line === '' ? '' : `    ${line}`))];
    case 'flush-conntrack':
      return [`ip netns exec ${step.netns} conntrack -D --orig-dst ${step.address}; conntrack -D --reply-dst ${step.address}`];
    case 'announce':
      return [`ip netns exec ${step.netns} arping -U -I ${step.device} -c 3 ${step.address} (in the background)`];
    case 'ensure-metadata-proxy':
      return [`metadata proxy: haproxy in ${step.spec.netns} on ${step.spec.bindAddress}:${step.spec.bindPort} -> ${step.spec.socketPath} (X-Neutron-Router-ID ${step.spec.owner.id})`];
    case 'stop-metadata-proxy':
      return [`stop the metadata proxy of router ${step.spec.owner.id}`];
    case 'delete-namespace':
      return [`ip netns delete ${step.name}`];
  }
}
