/**
 * Carries out a plan's steps through host/ (and the one RPC a teardown
 * needs), in order, counting what happened to dnsmasq so tests and
 * benchmarks can tell a reload from a restart.
 */
import { dirname } from 'node:path';

import { ensureDhcpChecksumFill } from '../../host/dhcpChecksum.js';
import { ensureStateDir, reloadDnsmasq, removeStateDir, replaceStateFile, startDnsmasq, stopDnsmasq } from '../../host/dnsmasq.js';
import { addNamespace, deleteNamespace, IpRoute } from '../../host/ip.js';
import { ensureMetadataProxy, stopMetadataProxy } from '../metadata/proxyProcess.js';
import { applyOvsPlug } from '../plug/ovsPlug.js';
import type { Step } from './plan.js';
import type { DhcpPluginApi } from './pluginApi.js';

export interface DnsmasqCounters {
  starts: number;
  restarts: number;
  reloads: number;
}

export interface ApplyContext {
  readonly host: IpRoute;
  readonly api: DhcpPluginApi;
  readonly counters: DnsmasqCounters;
  readonly debug: (obj: object, msg: string) => void;
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
    case 'checksum-rule': {
      const outcome = await ensureDhcpChecksumFill(step.netns);
      if (outcome === 'unavailable') context.debug({ netns: step.netns }, 'no iptables CHECKSUM rule here; DHCP replies keep their offloaded checksums');
      return;
    }
    case 'write-file':
      await ensureStateDir(dirname(step.path));
      return replaceStateFile(step.path, step.contents);
    case 'start-dnsmasq':
      if (step.logDir !== undefined) await ensureStateDir(step.logDir);
      await startDnsmasq(step.netns, step.args, step.pidFile);
      context.counters.starts++;
      return;
    case 'restart-dnsmasq':
      if (step.logDir !== undefined) await ensureStateDir(step.logDir);
      await stopDnsmasq(step.pid);
      await startDnsmasq(step.netns, step.args, step.pidFile);
      context.counters.restarts++;
      return;
    case 'reload-dnsmasq':
      reloadDnsmasq(step.pid);
      context.counters.reloads++;
      return;
    case 'ensure-metadata-proxy': {
      const outcome = await ensureMetadataProxy(step.spec);
      if (outcome === 'started') context.debug({ netns: step.spec.netns }, 'metadata proxy started');
      return;
    }
    case 'stop-metadata-proxy':
      return stopMetadataProxy(step.spec);
    case 'stop-dnsmasq':
      return stopDnsmasq(step.pid);
    case 'delete-namespace':
      return deleteNamespace(step.name);
    case 'release-dhcp-port':
      return context.api.releaseDhcpPort(step.networkId, step.deviceId);
    case 'remove-dir':
      return removeStateDir(step.path);
    case 'create-dhcp-port':
      return; // a dry-run placeholder; a real pass creates the port before planning
  }
}
