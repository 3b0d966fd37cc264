/** Carries out a router plan's steps through host/, in order. */
import { announceAddress } from '../../host/arping.js';
import { deleteConntrackEntries } from '../../host/conntrack.js';
import { addNamespace, deleteNamespace, IpRoute } from '../../host/ip.js';
import { replaceNftTable } from '../../host/nftables.js';
import { writeSysctls } from '../../host/sysctl.js';
import { ensureMetadataProxy, stopMetadataProxy } from '../metadata/proxyProcess.js';
import { applyOvsPlug } from '../plug/ovsPlug.js';
import type { Step } from './plan.js';

/** Gratuitous ARPs per added address (Neutron's send_arp_for_ha default). */
const ANNOUNCEMENTS = 3;

export interface ApplyContext {
  /** The namespace the taps live in. */
  readonly host: IpRoute;
  readonly warn: (obj: object, msg: string) => void;
}

export async function applyStep(context: ApplyContext, step: Step): Promise<void> {
  switch (step.kind) {
    case 'add-namespace':
      return addNamespace(step.name);
    case 'ip':
      return (step.netns === context.host.netns ? context.host : new IpRoute(step.netns)).batch(step.lines);
    case 'ovs-plug':
    case 'ovs-unplug':
      return applyOvsPlug(step);
    case 'sysctl':
      return writeSysctls(step.netns, step.settings);
    case 'nft':
      return replaceNftTable(step.netns, step.table, step.definition);
    case 'flush-conntrack':
      return deleteConntrackEntries(step.netns, step.address);
    case 'announce':
      announceAddress(step.netns, step.device, step.address, ANNOUNCEMENTS, (err) => context.warn({ err, address: step.address }, 'gratuitous ARP failed'));
      return;
    case 'ensure-metadata-proxy':
      await ensureMetadataProxy(step.spec);
      return;
    case 'stop-metadata-proxy':
      return stopMetadataProxy(step.spec);
    case 'delete-namespace':
      return deleteNamespace(step.name);
  }
}

/** Applies the steps in order; the first failure stops them (the next pass starts from what is there then). */
export async function applySteps(context: ApplyContext, steps: readonly Step[]): Promise<void> {
  for (const step of steps) await applyStep(context, step);
}
