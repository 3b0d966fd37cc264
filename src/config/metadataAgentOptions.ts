/**
 * metadata_agent.ini: the metadata agent's own options, with Neutron's
 * names and defaults (neutron/conf/agent/metadata/config.py). [DEFAULT]
 * metadata_proxy_socket is shared with the DHCP agent and lives in
 * agentOptions.ts.
 */
import { availableParallelism } from 'node:os';

import type { OptionGroup } from './types.js';

export const metadataAgentOptions = [
  {
    section: 'DEFAULT',
    name: 'nova_metadata_host',
    type: { kind: 'string' },
    default: '127.0.0.1',
    help: "Host name or IP address of Nova's metadata API.",
    deprecatedNames: ['nova_metadata_ip'],
  },
  {
    section: 'DEFAULT',
    name: 'nova_metadata_port',
    type: { kind: 'port' },
    default: 8775,
    help: "TCP port of Nova's metadata API.",
  },
  {
    section: 'DEFAULT',
    name: 'nova_metadata_protocol',
    type: { kind: 'enum', choices: ['http', 'https'] },
    default: 'http',
    help: "Protocol of Nova's metadata API.",
  },
  {
    section: 'DEFAULT',
    name: 'nova_metadata_insecure',
    type: { kind: 'boolean' },
    default: false,
    help: "With https: do not verify Nova's certificate.",
  },
  {
    section: 'DEFAULT',
    name: 'nova_client_cert',
    type: { kind: 'path' },
    default: '',
    help: 'With https: client certificate (PEM) presented to Nova; needs nova_client_priv_key.',
  },
  {
    section: 'DEFAULT',
    name: 'nova_client_priv_key',
    type: { kind: 'path' },
    default: '',
    help: 'With https: private key (PEM) of nova_client_cert.',
  },
  {
    section: 'DEFAULT',
    name: 'auth_ca_cert',
    type: { kind: 'path' },
    help: "With https: CA certificate (PEM) that Nova's certificate is checked against; default: the system's CAs.",
  },
  {
    section: 'DEFAULT',
    name: 'metadata_proxy_shared_secret',
    type: { kind: 'string' },
    default: '',
    help: "Secret shared with Nova ([neutron] metadata_proxy_shared_secret in nova.conf): X-Instance-ID-Signature is hex HMAC-SHA256(secret, instance id).",
  },
  {
    section: 'DEFAULT',
    name: 'metadata_proxy_socket_mode',
    type: { kind: 'enum', choices: ['deduce', 'user', 'group', 'all'] },
    default: 'deduce',
    help: "Who may connect to metadata_proxy_socket: user 0644, group 0664, all 0666; deduce: user, as the proxies run as the agent's user.",
  },
  {
    section: 'DEFAULT',
    name: 'metadata_workers',
    type: { kind: 'integer', min: 0 },
    default: () => Math.floor(availableParallelism() / 2),
    sampleDefault: '<half the number of CPUs>',
    help: 'Worker processes in Neutron. Accepted and reported; Nucleon serves every request from one event loop (requests wait on RPC and Nova, not on CPU).',
  },
  {
    section: 'DEFAULT',
    name: 'metadata_backlog',
    type: { kind: 'integer', min: 1 },
    default: 4096,
    help: 'Listen backlog of metadata_proxy_socket.',
  },
] as const satisfies OptionGroup;
