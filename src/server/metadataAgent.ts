/**
 * Composition of the metadata agent: its settings from neutron.conf +
 * metadata_agent.ini, and the agent started on a bus (RabbitMQ for
 * nucleon-metadata-agent, the in-process bus for the all-in-one).
 *
 *   const agent = await startMetadataAgent(metadataAgentSettings(loaded), bus, log);
 *   // haproxy proxies forward to agent.socketPath
 *   await agent.stop();
 *
 * The all-in-one has no Nova unless one is configured: it passes
 * { novaOnlyWhenSet: true } and gets settings without a Nova endpoint when
 * nova_metadata_host was not set, so the agent answers every request with
 * a 404 JSON body saying that no metadata service is configured.
 */
import { readFileSync } from 'node:fs';

import { InstanceLookup } from '../agents/metadata/instanceLookup.js';
import { NovaMetadataClient } from '../agents/metadata/novaMetadataClient.js';
import { MetadataRequestHandler } from '../agents/metadata/requestHandler.js';
import type { MetadataAgentSettings, NovaMetadataEndpoint } from '../agents/metadata/settings.js';
import { serveMetadataSocket } from '../agents/metadata/socketServer.js';
import { StateReporter } from '../agents/common/stateReporter.js';
import type { ConfigError } from '../common/errors.js';
import type { ValueSource } from '../config/types.js';
import type { Bus } from '../rpc/bus.js';
import type { Logger } from './logger.js';

/** The option values the metadata agent reads (a loaded configuration with agentBaseGroups and metadataAgentOptions has them all). */
export interface MetadataAgentConfigValues {
  readonly DEFAULT: {
    readonly host: string;
    readonly metadata_proxy_socket: string;
    readonly nova_metadata_host: string;
    readonly nova_metadata_port: number;
    readonly nova_metadata_protocol: 'http' | 'https';
    readonly nova_metadata_insecure: boolean;
    readonly nova_client_cert: string;
    readonly nova_client_priv_key: string;
    readonly auth_ca_cert?: string | undefined;
    readonly metadata_proxy_shared_secret: string;
    readonly metadata_proxy_socket_mode: 'deduce' | 'user' | 'group' | 'all';
    readonly metadata_workers: number;
    readonly metadata_backlog: number;
  };
  readonly agent: {
    readonly report_interval: number;
    readonly availability_zone: string;
    readonly log_agent_heartbeats: boolean;
  };
}

export interface MetadataAgentConfig {
  readonly config: MetadataAgentConfigValues;
  readonly sources: { readonly DEFAULT: { readonly nova_metadata_host: ValueSource } };
  /** A ConfigError naming the file the option was set in. */
  errorFor(section: 'DEFAULT', option: string, reason: string): ConfigError;
}

export interface MetadataAgentSettingsOptions {
  /** No Nova endpoint unless nova_metadata_host is set (a file or an override): the all-in-one's default. */
  readonly novaOnlyWhenSet?: boolean;
}

/** Neutron's MODE_MAP; `deduce` is `user` because the proxies run as the agent's own user. */
const SOCKET_MODES = { deduce: 0o644, user: 0o644, group: 0o664, all: 0o666 } as const;

/** Neutron's requests.request(..., timeout=60). */
const NOVA_TIMEOUT_MS = 60_000;

/** Neutron's in-memory cache of port lookups lives 5 s. */
const LOOKUP_CACHE_MS = 5_000;

function readPem(loaded: MetadataAgentConfig, option: 'nova_client_cert' | 'nova_client_priv_key' | 'auth_ca_cert', path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw loaded.errorFor('DEFAULT', option, `cannot read ${path}: ${(err as Error).message}`);
  }
}

function novaEndpoint(loaded: MetadataAgentConfig): NovaMetadataEndpoint {
  const d = loaded.config.DEFAULT;
  const host = d.nova_metadata_host.trim();
  if (host === '') throw loaded.errorFor('DEFAULT', 'nova_metadata_host', 'is empty: set the host name or address of Nova\'s metadata API');
  if (/[\s/?#@]/.test(host)) throw loaded.errorFor('DEFAULT', 'nova_metadata_host', `${JSON.stringify(host)} is not a host name or IP address`);
  const https = d.nova_metadata_protocol === 'https';
  if ((d.nova_client_cert === '') !== (d.nova_client_priv_key === '')) {
    // Name the option that is set: that is the file the operator will open.
    const [set, unset] = d.nova_client_cert === '' ? ['nova_client_priv_key', 'nova_client_cert'] : ['nova_client_cert', 'nova_client_priv_key'];
    throw loaded.errorFor('DEFAULT', set, `needs ${unset} too: the client certificate and its private key go together`);
  }
  const caPath = d.auth_ca_cert ?? '';
  return {
    protocol: d.nova_metadata_protocol,
    host,
    port: d.nova_metadata_port,
    sharedSecret: d.metadata_proxy_shared_secret,
    insecure: d.nova_metadata_insecure,
    timeoutMs: NOVA_TIMEOUT_MS,
    // Certificates matter only over https; Neutron ignores them otherwise.
    ...(https && caPath !== '' ? { caCert: readPem(loaded, 'auth_ca_cert', caPath) } : {}),
    ...(https && d.nova_client_cert !== ''
      ? { clientCert: readPem(loaded, 'nova_client_cert', d.nova_client_cert), clientKey: readPem(loaded, 'nova_client_priv_key', d.nova_client_priv_key) }
      : {}),
  };
}

/** The agent's settings; a ConfigError naming file, section and option for a value it cannot use. */
export function metadataAgentSettings(loaded: MetadataAgentConfig, options: MetadataAgentSettingsOptions = {}): MetadataAgentSettings {
  const d = loaded.config.DEFAULT;
  if (d.metadata_proxy_socket.trim() === '') throw loaded.errorFor('DEFAULT', 'metadata_proxy_socket', 'is empty: set the path of the Unix socket');
  const novaSet = loaded.sources.DEFAULT.nova_metadata_host.kind !== 'default';
  const nova = options.novaOnlyWhenSet && !novaSet ? undefined : novaEndpoint(loaded);
  return {
    host: d.host,
    availabilityZone: loaded.config.agent.availability_zone,
    socketPath: d.metadata_proxy_socket,
    socketMode: SOCKET_MODES[d.metadata_proxy_socket_mode],
    backlog: d.metadata_backlog,
    workers: d.metadata_workers,
    ...(nova === undefined ? {} : { nova }),
    lookupCacheMs: LOOKUP_CACHE_MS,
    reportIntervalMs: loaded.config.agent.report_interval * 1000,
    logAgentHeartbeats: loaded.config.agent.log_agent_heartbeats,
  };
}

export interface RunningMetadataAgent {
  /** The Unix socket the agent serves on (the proxies' `server metadata <socketPath>`). */
  readonly socketPath: string;
  /** Stops reporting and serving, and removes the socket. */
  stop(): Promise<void>;
}

/** What the agent reports in its heartbeats (Neutron's, plus the log switch). */
function configurations(settings: MetadataAgentSettings): Record<string, unknown> {
  return {
    metadata_proxy_socket: settings.socketPath,
    nova_metadata_host: settings.nova?.host ?? null,
    nova_metadata_port: settings.nova?.port ?? null,
    log_agent_heartbeats: settings.logAgentHeartbeats,
  };
}

/** Serves metadata_proxy_socket and reports state as `Metadata agent`. */
export async function startMetadataAgent(settings: MetadataAgentSettings, bus: Bus, log: Logger): Promise<RunningMetadataAgent> {
  const nova = settings.nova === undefined ? undefined : new NovaMetadataClient(settings.nova);
  const handler = new MetadataRequestHandler(new InstanceLookup(bus, settings.lookupCacheMs), nova, log);
  const server = await serveMetadataSocket({ socketPath: settings.socketPath, mode: settings.socketMode, backlog: settings.backlog }, handler, log);
  const reporter = new StateReporter(
    bus,
    { agentType: 'Metadata agent', binary: 'neutron-metadata-agent', host: settings.host, topic: 'N/A', availabilityZone: settings.availabilityZone },
    { intervalMs: settings.reportIntervalMs, configurations: () => configurations(settings), logHeartbeats: settings.logAgentHeartbeats },
    log,
  );
  reporter.start();
  log.info({ socket: settings.socketPath, nova: nova?.baseUrl ?? 'none configured' }, 'metadata agent serving');
  return {
    socketPath: settings.socketPath,
    stop: async () => {
      reporter.stop();
      await server.close();
    },
  };
}

/** For --dry-run: what the agent would serve, where, and where it would forward. */
export function describeMetadataAgent(settings: MetadataAgentSettings): string[] {
  return [
    `serve HTTP on unix socket ${settings.socketPath} (mode ${settings.socketMode.toString(8).padStart(4, '0')}, backlog ${settings.backlog})`,
    settings.nova === undefined
      ? 'no Nova metadata API configured: answer every request 404 {"error": "no_metadata_service"}'
      : `forward to ${new NovaMetadataClient(settings.nova).baseUrl} with X-Instance-ID, X-Tenant-ID, X-Forwarded-For and X-Instance-ID-Signature (HMAC-SHA256)`,
    `look instances up with get_ports on q-plugin, answers kept ${settings.lookupCacheMs / 1000} s`,
    settings.reportIntervalMs > 0 ? `report state as "Metadata agent" on host ${settings.host} every ${settings.reportIntervalMs / 1000} s` : 'state reports disabled (report_interval = 0)',
  ];
}
