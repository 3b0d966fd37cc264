/**
 * The neutron.conf options the server reads, with Neutron's defaults
 * (neutron-api.md section 7). Options Neutron has since removed upstream
 * (bind_host, bind_port, api_workers, allow_overlapping_ips...) are kept with
 * their last defaults because our own listener still uses them. Other parts
 * of the project declare their own groups (ml2_conf.ini, the agents' files).
 */
import { hostname } from 'node:os';
import type { ConfigOf, DeclsOf, OptionGroup } from './types.js';

const string = { kind: 'string' } as const;
const path = { kind: 'path' } as const;
const integer = { kind: 'integer' } as const;
const boolean = { kind: 'boolean' } as const;
const list = { kind: 'list' } as const;
const httpUrl = { kind: 'url', schemes: ['http', 'https'] } as const;

export const defaultOptions = [
  { section: 'DEFAULT', name: 'bind_host', type: string, default: '0.0.0.0', help: 'The host IP to bind the API server to.' },
  { section: 'DEFAULT', name: 'bind_port', type: { kind: 'port' }, default: 9696, help: 'The port the API server listens on.' },
  {
    section: 'DEFAULT',
    name: 'core_plugin',
    type: string,
    default: 'ml2',
    help: 'The core plugin Neutron will use. Accepted for compatibility and not read: the core plugin is always ML2.',
  },
  {
    section: 'DEFAULT',
    name: 'service_plugins',
    type: list,
    default: [],
    help: 'The service plugins Neutron will use (router, segments, trunk, qos...).',
  },
  {
    section: 'DEFAULT',
    name: 'base_mac',
    type: { kind: 'mac' },
    default: 'fa:16:3e:00:00:00',
    help: 'The base MAC address for generated port MACs; the first 3 octets stay, the rest are random unless set non-zero.',
  },
  {
    section: 'DEFAULT',
    name: 'mac_generation_retries',
    type: { kind: 'integer', min: 1 },
    default: 16,
    help: 'How many times to try generating a MAC that is unique on the network.',
  },
  {
    section: 'DEFAULT',
    name: 'allow_overlapping_ips',
    type: boolean,
    default: true,
    help: "Allow overlapping IP address ranges between projects (Neutron's default). Accepted for compatibility and not read: " +
      'subnets of different networks may always overlap; those of one network never do.',
  },
  {
    section: 'DEFAULT',
    name: 'global_physnet_mtu',
    type: { kind: 'integer', min: 68 },
    default: 1500,
    help: 'MTU of the underlying physical network; overlay network MTUs are derived from it.',
  },
  {
    section: 'DEFAULT',
    name: 'max_fixed_ips_per_port',
    type: { kind: 'integer', min: 1 },
    default: 5,
    help: 'Maximum number of fixed IPs per port.',
  },
  {
    section: 'DEFAULT',
    name: 'dhcp_lease_duration',
    type: { kind: 'integer', min: -1 },
    default: 86400,
    help: 'DHCP lease duration in seconds; -1 means infinite.',
  },
  { section: 'DEFAULT', name: 'dns_domain', type: string, default: 'openstacklocal', help: 'Domain to use when building host names.' },
  {
    section: 'DEFAULT',
    name: 'auth_strategy',
    type: { kind: 'enum', choices: ['keystone', 'noauth'] },
    default: 'keystone',
    help: 'How API requests are authenticated: keystone tokens, or noauth (trust the X-Project-Id/X-Roles headers).',
  },
  {
    section: 'DEFAULT',
    name: 'transport_url',
    type: { kind: 'url', schemes: ['rabbit', 'amqp', 'memory'] },
    help: 'The message bus: rabbit://user:pass@host:5672/vhost for RabbitMQ, memory:// for the in-process bus.',
  },
  {
    section: 'DEFAULT',
    name: 'api_workers',
    type: { kind: 'integer', min: 0 },
    help: 'Number of API worker processes; unset means one per CPU.',
  },
  {
    section: 'DEFAULT',
    name: 'pagination_max_limit',
    type: { kind: 'integer', min: -1 },
    default: -1,
    help: 'Maximum number of items returned in one list response; -1 means no limit.',
  },
  {
    section: 'DEFAULT',
    name: 'max_dns_nameservers',
    type: { kind: 'integer', min: 0 },
    default: 5,
    help: 'Maximum number of DNS nameservers per subnet.',
  },
  {
    section: 'DEFAULT',
    name: 'max_subnet_host_routes',
    type: { kind: 'integer', min: 0 },
    default: 20,
    help: 'Maximum number of host routes per subnet.',
  },
  {
    section: 'DEFAULT',
    name: 'max_allowed_address_pair',
    type: { kind: 'integer', min: 0 },
    default: 10,
    help: 'Maximum number of allowed address pairs per port.',
  },
  { section: 'DEFAULT', name: 'allow_bulk', type: boolean, default: true, help: 'Allow bulk create requests.' },
  {
    section: 'DEFAULT',
    name: 'filter_validation',
    type: boolean,
    default: true,
    help: 'Reject list requests that filter on an unknown attribute.',
  },
  {
    section: 'DEFAULT',
    name: 'max_header_line',
    type: { kind: 'integer', min: 1 },
    default: 16384,
    help: 'Maximum line size of a request header, in bytes (the size of a Keystone token with many roles may need more). ' +
      "A longer line is answered 400 Header Line Too Long, as Neutron's eventlet server answers it.",
  },
  {
    section: 'DEFAULT',
    name: 'client_socket_timeout',
    type: { kind: 'integer', min: 0 },
    default: 900,
    help: "Seconds a client connection may stay idle (between requests, or within one) before it is closed; 0 waits forever. " +
      'Whatever this says, a request must send all its headers within 60 s and its whole body within 300 s.',
  },
  {
    section: 'DEFAULT',
    name: 'network_link_prefix',
    type: string,
    help: 'Replaces the scheme, host and port of the self links Neutron returns (for a proxy in front).',
  },
  {
    section: 'DEFAULT',
    name: 'state_path',
    type: path,
    default: '/var/lib/neutron',
    help: 'Where Neutron keeps its state files; other options refer to it as $state_path.',
  },
  { section: 'DEFAULT', name: 'debug', type: boolean, default: false, help: 'Log at debug level.' },
  { section: 'DEFAULT', name: 'verbose', type: boolean, default: false, help: 'Log at info level (oslo.log has dropped it; accepted for old files).' },
  { section: 'DEFAULT', name: 'log_dir', type: path, help: 'Directory for the log file (with log_file).' },
  { section: 'DEFAULT', name: 'log_file', type: path, help: 'Log to this file instead of standard error.' },
  { section: 'DEFAULT', name: 'use_syslog', type: boolean, default: false, help: 'Log to syslog.' },
  {
    section: 'DEFAULT',
    name: 'notify_nova_on_port_status_changes',
    type: boolean,
    default: true,
    help: 'Tell Nova when a port status changes (so it can finish booting the instance).',
  },
  {
    section: 'DEFAULT',
    name: 'notify_nova_on_port_data_changes',
    type: boolean,
    default: true,
    help: 'Tell Nova when port data (fixed IPs, floating IP) changes, so it can refresh its cache.',
  },
  {
    section: 'DEFAULT',
    name: 'send_events_interval',
    type: { kind: 'integer', min: 1 },
    default: 2,
    help: 'Seconds between two batches of events sent to Nova; events that come in between go in the next batch.',
  },
  {
    section: 'DEFAULT',
    name: 'http_retries',
    type: { kind: 'integer', min: 0 },
    default: 3,
    help: 'Times a call to Nova that could not be made (connection refused, timeout, 5xx) is retried; 0: tried once.',
  },
  {
    section: 'DEFAULT',
    name: 'agent_down_time',
    type: { kind: 'integer', min: 1 },
    default: 75,
    help: 'Seconds without a report after which an agent is considered down; at least twice report_interval.',
  },
  {
    section: 'DEFAULT',
    name: 'dhcp_agents_per_network',
    type: { kind: 'integer', min: 1 },
    default: 1,
    help: 'Number of DHCP agents scheduled to host each network.',
  },
  {
    section: 'DEFAULT',
    name: 'network_auto_schedule',
    type: boolean,
    default: true,
    help: 'Schedule networks to DHCP agents automatically.',
  },
  {
    section: 'DEFAULT',
    name: 'rpc_response_timeout',
    type: { kind: 'integer', min: 1 },
    default: 60,
    help: 'Seconds to wait for a response to an RPC call.',
  },
  {
    section: 'DEFAULT',
    name: 'control_exchange',
    type: string,
    default: 'neutron',
    help: 'The AMQP exchange that topics are scoped to.',
  },
  {
    section: 'DEFAULT',
    name: 'api_paste_config',
    type: path,
    default: 'api-paste.ini',
    help: 'The paste.deploy file of the Python server; accepted for compatibility, not used.',
  },
  { section: 'DEFAULT', name: 'ipam_driver', type: string, default: 'internal', help: 'The IP address management driver. Accepted for compatibility and not read: the built-in IPAM (Neutron\'s internal driver) is always used.' },
  {
    section: 'DEFAULT',
    name: 'router_distributed',
    type: boolean,
    default: false,
    help: 'Create distributed (DVR) routers by default.',
  },
  { section: 'DEFAULT', name: 'l3_ha', type: boolean, default: false, help: 'Create highly available routers by default.' },
  {
    section: 'DEFAULT',
    name: 'enable_dvr',
    type: boolean,
    default: true,
    help: 'Offer the dvr extension (and router-admin-state-down-before-update); false: neither is listed.',
  },
  {
    section: 'DEFAULT',
    name: 'max_l3_agents_per_router',
    type: integer,
    default: 3,
    help: 'L3 agents an HA router is scheduled on at most; 0: every agent. Negative values stop the server.',
  },
  {
    section: 'DEFAULT',
    name: 'l3_ha_net_cidr',
    type: string,
    default: '169.254.192.0/18',
    help: "The CIDR of the subnet of each project's HA network (a network address with its prefix length).",
  },
  {
    section: 'DEFAULT',
    name: 'l3_ha_network_type',
    type: string,
    default: '',
    help: "The provider:network_type of each project's HA network; empty: the first of tenant_network_types.",
  },
  {
    section: 'DEFAULT',
    name: 'l3_ha_network_physical_name',
    type: string,
    default: '',
    help: "The provider:physical_network of each project's HA network; empty: none.",
  },
  {
    section: 'DEFAULT',
    name: 'default_availability_zones',
    type: list,
    default: [],
    help: 'The availability zone hints of routers created without any (networks have none here yet).',
  },
  {
    section: 'DEFAULT',
    name: 'enable_snat_by_default',
    type: boolean,
    default: true,
    help: 'Default value of enable_snat on a router gateway when the request does not say.',
  },
  {
    section: 'DEFAULT',
    name: 'router_scheduler_driver',
    type: {
      kind: 'enum',
      choices: [
        'neutron.scheduler.l3_agent_scheduler.LeastRoutersScheduler',
        'neutron.scheduler.l3_agent_scheduler.ChanceScheduler',
        'neutron.scheduler.l3_agent_scheduler.AZLeastRoutersScheduler',
        'least_routers',
        'chance',
      ],
    },
    default: 'neutron.scheduler.l3_agent_scheduler.LeastRoutersScheduler',
    help: 'How routers are spread over L3 agents: the agent hosting fewest routers, or one at random.',
  },
  {
    section: 'DEFAULT',
    name: 'router_auto_schedule',
    type: boolean,
    default: true,
    help: 'Give routers no L3 agent hosts to an agent that asks for its routers.',
  },
  {
    section: 'DEFAULT',
    name: 'allow_automatic_l3agent_failover',
    type: boolean,
    default: false,
    help: 'Move the routers of an L3 agent that stopped reporting (2 x agent_down_time) to a live one.',
  },
  {
    section: 'DEFAULT',
    name: 'host',
    type: string,
    default: () => hostname(),
    sampleDefault: "<this machine's host name>",
    help: 'The name of this host as agents and the server report it; defaults to the machine host name.',
  },
] as const satisfies OptionGroup;

export const databaseOptions = [
  {
    section: 'database',
    name: 'connection',
    type: {
      kind: 'url',
      schemes: [
        'sqlite',
        'mysql',
        'mysql+pymysql',
        'mysql+mysqldb',
        'mariadb',
        'mariadb+pymysql',
        'postgresql',
        'postgresql+psycopg2',
        'postgres',
      ],
    },
    // No default on purpose: a server that silently used a local SQLite file would hide a missing setting.
    help: 'The SQLAlchemy-style database URL, e.g. mysql+pymysql://neutron:PASS@controller/neutron.',
    deprecatedNames: [{ section: 'DEFAULT', name: 'sql_connection' }, { section: 'sql', name: 'connection' }],
  },
  {
    section: 'database',
    name: 'max_pool_size',
    type: { kind: 'integer', min: 0 },
    help: 'Maximum number of open connections per process; unset means the driver default.',
  },
  {
    section: 'database',
    name: 'connection_recycle_time',
    type: { kind: 'integer', min: 0 },
    default: 3600,
    help: 'Seconds after which a pooled connection is replaced at its next use. Accepted for compatibility and not read yet.',
    deprecatedNames: ['idle_timeout', { section: 'DEFAULT', name: 'sql_idle_timeout' }],
  },
  {
    section: 'database',
    name: 'max_retries',
    type: { kind: 'integer', min: -1 },
    default: 10,
    help: 'Maximum number of database connection retries during startup (nucleon-server); -1 retries forever.',
    deprecatedNames: [{ section: 'DEFAULT', name: 'sql_max_retries' }],
  },
  {
    section: 'database',
    name: 'retry_interval',
    type: { kind: 'integer', min: 0 },
    default: 10,
    help: 'Seconds between retries of opening a database connection during startup.',
    deprecatedNames: [{ section: 'DEFAULT', name: 'sql_retry_interval' }, 'reconnect_interval'],
  },
  {
    section: 'database',
    name: 'db_max_retries',
    type: { kind: 'integer', min: -1 },
    default: 20,
    help: 'Maximum retries of a transaction that failed on a deadlock (also a Galera certification failure), a lock wait ' +
      'timeout, a serialization failure or a lost connection, before the error is raised; -1 retries forever.',
  },
  {
    section: 'database',
    name: 'db_retry_interval',
    type: { kind: 'integer', min: 0 },
    default: 1,
    help: 'Seconds between retries of a database transaction after a lost connection (the first retry is at once; ' +
      'deadlocks and lock conflicts are retried after 10 ms, doubling to 0.5 s).',
  },
  {
    section: 'database',
    name: 'db_inc_retry_interval',
    type: boolean,
    default: true,
    help: 'If True, increases the interval between retries of a database operation up to db_max_retry_interval.',
  },
  {
    section: 'database',
    name: 'db_max_retry_interval',
    type: { kind: 'integer', min: 0 },
    default: 10,
    help: 'If db_inc_retry_interval is set, the maximum seconds between retries of a database operation; a request also ' +
      'stops retrying a lost connection once its waits would pass it, and is answered 503.',
  },
] as const satisfies OptionGroup;

export const quotaOptions = [
  {
    section: 'quotas',
    name: 'default_quota',
    type: integer,
    default: -1,
    help: 'Default quota for resources without their own quota option; -1 is unlimited.',
  },
  { section: 'quotas', name: 'quota_network', type: integer, default: 100, help: 'Networks per project; -1 is unlimited.' },
  { section: 'quotas', name: 'quota_subnet', type: integer, default: 100, help: 'Subnets per project; -1 is unlimited.' },
  { section: 'quotas', name: 'quota_port', type: integer, default: 500, help: 'Ports per project; -1 is unlimited.' },
  { section: 'quotas', name: 'quota_router', type: integer, default: 10, help: 'Routers per project; -1 is unlimited.' },
  { section: 'quotas', name: 'quota_floatingip', type: integer, default: 50, help: 'Floating IPs per project; -1 is unlimited.' },
  {
    section: 'quotas',
    name: 'quota_security_group',
    type: integer,
    default: 10,
    help: 'Security groups per project; -1 is unlimited.',
  },
  {
    section: 'quotas',
    name: 'quota_security_group_rule',
    type: integer,
    default: 100,
    help: 'Security group rules per project; -1 is unlimited.',
  },
  { section: 'quotas', name: 'quota_rbac_policy', type: integer, default: 10, help: 'RBAC policies per project; -1 is unlimited.' },
  {
    section: 'quotas',
    name: 'quota_driver',
    type: string,
    default: 'neutron.db.quota.driver_nolock.DbQuotaNoLockDriver',
    help: "Neutron's quota driver class path; accepted for compatibility, the database driver is always used.",
  },
] as const satisfies OptionGroup;

export const keystoneAuthtokenOptions = [
  {
    section: 'keystone_authtoken',
    name: 'www_authenticate_uri',
    type: httpUrl,
    help: 'The public Keystone endpoint clients are sent to (WWW-Authenticate header).',
    deprecatedNames: ['auth_uri'],
  },
  { section: 'keystone_authtoken', name: 'auth_url', type: httpUrl, help: 'The Keystone endpoint tokens are validated against.' },
  {
    section: 'keystone_authtoken',
    name: 'memcached_servers',
    type: list,
    help: 'host:port of memcached servers that share validated tokens between processes. Accepted and not used: each server process keeps its own cache (the server says so at start-up).',
  },
  { section: 'keystone_authtoken', name: 'auth_type', type: string, help: 'The keystoneauth plugin, usually password.' },
  { section: 'keystone_authtoken', name: 'project_domain_name', type: string, help: "Domain name of the service user's project." },
  { section: 'keystone_authtoken', name: 'user_domain_name', type: string, help: "Domain name of the service user." },
  { section: 'keystone_authtoken', name: 'project_domain_id', type: string, help: "Domain id of the service user's project." },
  { section: 'keystone_authtoken', name: 'user_domain_id', type: string, help: 'Domain id of the service user.' },
  { section: 'keystone_authtoken', name: 'project_name', type: string, help: 'Project of the service user, usually service.' },
  { section: 'keystone_authtoken', name: 'username', type: string, help: 'The service user, usually neutron.' },
  { section: 'keystone_authtoken', name: 'password', type: string, help: "The service user's password." },
  { section: 'keystone_authtoken', name: 'region_name', type: string, help: 'The region of the identity endpoint.' },
  {
    section: 'keystone_authtoken',
    name: 'service_token_roles_required',
    type: boolean,
    default: false,
    help: 'Require service tokens to carry one of the service roles. Accepted for compatibility and not read: service tokens are not used.',
  },
  {
    section: 'keystone_authtoken',
    name: 'http_connect_timeout',
    type: { kind: 'integer', min: 1 },
    help: 'Seconds a call to Keystone may take, connection to last byte; a request whose token Keystone has not validated by then ' +
      'is answered 503. Unset: 5 (keystonemiddleware waits forever; Nucleon never does).',
  },
  {
    section: 'keystone_authtoken',
    name: 'http_request_max_retries',
    type: { kind: 'integer', min: 0 },
    default: 3,
    help: 'How many times a call to Keystone is tried again when the connection fails (refused, reset), ' +
      'after 0.5 s, then twice as long each time. A call that timed out is not tried again.',
  },
  {
    section: 'keystone_authtoken',
    name: 'token_cache_time',
    type: { kind: 'integer', min: -1 },
    default: 300,
    help: 'Seconds a validated token is cached; -1 disables the cache.',
  },
  { section: 'keystone_authtoken', name: 'cafile', type: path, help: "CA bundle for verifying Keystone's TLS certificate. Not used (the server says so at start-up): give Node.js the CA with NODE_EXTRA_CA_CERTS." },
  {
    section: 'keystone_authtoken',
    name: 'insecure',
    type: boolean,
    default: false,
    help: "Do not verify Keystone's TLS certificate. Not used (the server says so at start-up): certificates are always verified.",
  },
] as const satisfies OptionGroup;

export const novaOptions = [
  { section: 'nova', name: 'auth_url', type: httpUrl, help: 'Keystone endpoint used to get a token for calling Nova.' },
  { section: 'nova', name: 'auth_type', type: string, help: 'The keystoneauth plugin, usually password.' },
  { section: 'nova', name: 'project_domain_name', type: string, help: "Domain name of the Nova user's project." },
  { section: 'nova', name: 'user_domain_name', type: string, help: 'Domain name of the Nova user.' },
  { section: 'nova', name: 'project_domain_id', type: string, help: "Domain id of the Nova user's project." },
  { section: 'nova', name: 'user_domain_id', type: string, help: 'Domain id of the Nova user.' },
  { section: 'nova', name: 'region_name', type: string, help: 'Region of the Nova endpoint.' },
  { section: 'nova', name: 'project_name', type: string, help: 'Project of the Nova user, usually service.' },
  { section: 'nova', name: 'username', type: string, help: 'The user Neutron calls Nova as, usually nova.' },
  { section: 'nova', name: 'password', type: string, help: "The Nova user's password." },
  {
    section: 'nova',
    name: 'endpoint_type',
    type: { kind: 'enum', choices: ['public', 'admin', 'internal'] },
    default: 'public',
    help: 'Which Nova endpoint from the catalog to call.',
  },
  {
    section: 'nova',
    name: 'timeout',
    type: { kind: 'integer', min: 1 },
    help: 'Seconds a call to Keystone or Nova may take (unset: 10).',
  },
] as const satisfies OptionGroup;

export const osloOptions = [
  {
    section: 'oslo_concurrency',
    name: 'lock_path',
    type: path,
    // Neutron sets this default at startup; interpolated from [DEFAULT] state_path.
    default: '$state_path/lock',
    help: 'Directory for lock files. Accepted for compatibility and not read: Nucleon locks in the database and in memory, not with files.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_ha_queues',
    type: boolean,
    default: false,
    help: 'Mirror queues across a RabbitMQ cluster (classic HA queues).',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'heartbeat_timeout_threshold',
    type: { kind: 'integer', min: 0 },
    default: 60,
    help: 'Seconds without a heartbeat before the RabbitMQ connection is considered dead; 0 disables heartbeats.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'amqp_durable_queues',
    type: boolean,
    default: false,
    help: 'Declare durable queues.',
  },
  {
    section: 'oslo_messaging_rabbit',
    name: 'rabbit_quorum_queue',
    type: boolean,
    default: false,
    help: 'Declare quorum queues instead of classic ones.',
  },
  {
    section: 'oslo_middleware',
    name: 'max_request_body_size',
    type: { kind: 'integer', min: 0 },
    default: 114688,
    help: 'The maximum body size for each request, in bytes; a larger body is answered 413 Request Entity Too Large.',
    deprecatedNames: [
      { section: 'DEFAULT', name: 'osapi_max_request_body_size' },
      { section: 'DEFAULT', name: 'max_request_body_size' },
    ],
  },
  {
    section: 'oslo_policy',
    name: 'policy_file',
    type: path,
    default: 'policy.yaml',
    help: 'File with policy rules that override the built-in defaults.',
  },
  {
    section: 'oslo_policy',
    name: 'enforce_new_defaults',
    type: boolean,
    default: false,
    help: 'Enforce the new default rules alone; false ORs each with its deprecated form, as oslo.policy does.',
  },
  {
    section: 'oslo_policy',
    name: 'enforce_scope',
    type: boolean,
    default: false,
    help: "Accepted for oslo.policy's option; no effect here: Neutron's rules are project-scoped and tokens are never refused for their scope.",
  },
] as const satisfies OptionGroup;

export const agentOptions = [
  {
    section: 'agent',
    name: 'root_helper',
    type: string,
    default: 'sudo',
    help: "Command prefix for privileged commands (sudo, or Neutron's rootwrap). Accepted for compatibility and not read: Nucleon's agents run ip, nft and dnsmasq themselves, so they run as root.",
  },
  {
    section: 'agent',
    name: 'report_interval',
    type: { kind: 'float', min: 0 },
    default: 30,
    help: 'Seconds between agent state reports; 0 disables them. Keep it at most half of agent_down_time.',
  },
  {
    section: 'agent',
    name: 'availability_zone',
    type: string,
    default: 'nova',
    help: 'Availability zone of the agent on this host.',
  },
] as const satisfies OptionGroup;

export const experimentalOptions = [
  {
    section: 'experimental',
    name: 'linuxbridge',
    type: boolean,
    default: false,
    help: 'Enable the linuxbridge mechanism driver, which Neutron marks experimental.',
  },
] as const satisfies OptionGroup;

/** Every group of neutron.conf, in one list to pass to loadConfig. */
export const neutronOptionGroups = [
  defaultOptions,
  databaseOptions,
  quotaOptions,
  keystoneAuthtokenOptions,
  novaOptions,
  osloOptions,
  agentOptions,
  experimentalOptions,
] as const;

/** The typed neutron.conf: `NeutronConfig['DEFAULT']['bind_port']` is a number. */
export type NeutronConfig = ConfigOf<DeclsOf<typeof neutronOptionGroups>>;
