/**
 * The metadata proxy of one network (in its qdhcp- namespace) or router (in
 * its qrouter- namespace): an haproxy that listens on 169.254.169.254:80 (or
 * the router's port) and forwards to the metadata agent's Unix socket. A Unix
 * socket path crosses network namespaces, which is why one agent in the root
 * namespace can serve every namespace's proxy.
 *
 * The DHCP agent calls ensureMetadataProxy on every reconcile pass, so it is
 * idempotent: a proxy already running with the same configuration is left
 * alone (VMs keep their connections across agent restarts); one whose
 * configuration changed is restarted. The L3 agent asks metadataProxyState
 * first, so its passes with nothing to do plan nothing.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { runningPid, startDaemon, stopDaemon, type DaemonSpec } from '../../host/daemon.js';
import { haproxyConfig, type MetadataProxyOwner } from './haproxyConfig.js';

export interface MetadataProxySpec {
  /** The namespace haproxy runs in (qdhcp-<network id>, qrouter-<router id>). */
  readonly netns: string;
  readonly owner: MetadataProxyOwner;
  readonly bindAddress: string;
  readonly bindPort: number;
  /** The metadata agent's Unix socket ([DEFAULT] metadata_proxy_socket). */
  readonly socketPath: string;
  /** Where the config and pid files live: <stateDir>/<owner id>.conf and .pid. */
  readonly stateDir: string;
}

type ProxyFiles = Pick<MetadataProxySpec, 'stateDir' | 'owner'>;

const configPath = (spec: ProxyFiles): string => join(spec.stateDir, `${spec.owner.id}.conf`);
const pidPath = (spec: ProxyFiles): string => join(spec.stateDir, `${spec.owner.id}.pid`);

/** haproxy's command line holds its config path, which no other process's does. */
function daemonOf(spec: ProxyFiles, netns?: string): DaemonSpec {
  const config = configPath(spec);
  return { command: 'haproxy', args: ['-f', config], pidFile: pidPath(spec), marker: config, ...(netns === undefined ? {} : { netns }) };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

const wantedConfig = (spec: MetadataProxySpec): string =>
  haproxyConfig({ owner: spec.owner, bindAddress: spec.bindAddress, bindPort: spec.bindPort, socketPath: spec.socketPath, pidFile: pidPath(spec) });

/**
 * Whether ensureMetadataProxy would change anything, without changing it:
 * `current` when the proxy runs with `spec`'s configuration, `stale` when
 * files (or a process) of another one are there, `absent` when nothing is.
 * `spec` undefined asks only whether anything of `owner`'s proxy is left.
 */
export async function metadataProxyState(files: ProxyFiles, spec?: MetadataProxySpec): Promise<'current' | 'stale' | 'absent'> {
  const [pid, config] = await Promise.all([runningPid(daemonOf(files)), readText(configPath(files))]);
  if (pid === undefined && config === undefined) return 'absent';
  return pid !== undefined && spec !== undefined && config === wantedConfig(spec) ? 'current' : 'stale';
}

/** Starts the proxy, or leaves a running one with the same configuration alone. */
export async function ensureMetadataProxy(spec: MetadataProxySpec): Promise<'started' | 'running'> {
  const wanted = wantedConfig(spec);
  const daemon = daemonOf(spec, spec.netns);
  const pid = await runningPid(daemon);
  if (pid !== undefined) {
    if ((await readText(configPath(spec))) === wanted) return 'running';
    // A changed config (another socket path, address or port): haproxy reads
    // it only at start, and the new listener may need the old one's port.
    await stopDaemon(pid);
  }
  await mkdir(spec.stateDir, { recursive: true });
  await writeFile(configPath(spec), wanted);
  await startDaemon(daemon);
  return 'started';
}

/** Stops the proxy (if it runs) and removes its files. */
export async function stopMetadataProxy(spec: ProxyFiles): Promise<void> {
  const pid = await runningPid(daemonOf(spec));
  if (pid !== undefined) await stopDaemon(pid);
  await rm(configPath(spec), { force: true });
  await rm(pidPath(spec), { force: true });
}
