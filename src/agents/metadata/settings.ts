/**
 * What the metadata agent runs with, already checked: the composition root
 * builds it from metadata_agent.ini (src/server/metadataAgent.ts), the
 * all-in-one process may build it with no Nova at all.
 */

/** Where Nova's metadata API is and how to reach it. */
export interface NovaMetadataEndpoint {
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** metadata_proxy_shared_secret: Nova checks X-Instance-ID-Signature with it. */
  readonly sharedSecret: string;
  /** https only: skip the check of Nova's certificate. */
  readonly insecure: boolean;
  /** https only: PEM contents (read by the composition root), not paths. */
  readonly caCert?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** Neutron waits 60 s for Nova. */
  readonly timeoutMs: number;
}

export interface MetadataAgentSettings {
  /** [DEFAULT] host: the name the agent reports. */
  readonly host: string;
  readonly availabilityZone: string;
  /** [DEFAULT] metadata_proxy_socket: the Unix socket the proxies forward to. */
  readonly socketPath: string;
  /** File mode of the socket (0o644 user, 0o664 group, 0o666 all). */
  readonly socketMode: number;
  readonly backlog: number;
  /** metadata_workers, reported only (one event loop serves every request). */
  readonly workers: number;
  /** Undefined: no metadata service here; every request gets a 404 that says so. */
  readonly nova?: NovaMetadataEndpoint;
  /** How long a port lookup is reused (Neutron's in-memory cache keeps them 5 s). */
  readonly lookupCacheMs: number;
  /** [agent] report_interval in ms; 0 disables state reports. */
  readonly reportIntervalMs: number;
  readonly logAgentHeartbeats: boolean;
}
