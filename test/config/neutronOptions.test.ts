import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { neutronOptionGroups, type NeutronConfig } from '../../src/config/neutronOptions.js';

const installGuide = fileURLToPath(new URL('./fixtures/neutron.conf', import.meta.url));

describe('neutron.conf options', () => {
  it("loads the install guide's controller neutron.conf with no warnings", () => {
    const { config, warnings, sources } = loadConfig({ files: [installGuide], groups: neutronOptionGroups });
    assert.deepEqual(warnings, []);
    assert.equal(config.DEFAULT.core_plugin, 'ml2');
    assert.deepEqual(config.DEFAULT.service_plugins, ['router']);
    assert.equal(config.DEFAULT.transport_url, 'rabbit://openstack:RABBIT_PASS@controller');
    assert.equal(config.DEFAULT.auth_strategy, 'keystone');
    assert.equal(config.DEFAULT.notify_nova_on_port_status_changes, true);
    assert.equal(config.DEFAULT.notify_nova_on_port_data_changes, true);
    assert.equal(config.database.connection, 'mysql+pymysql://neutron:NEUTRON_DBPASS@controller/neutron');
    assert.deepEqual(config.keystone_authtoken, {
      ...config.keystone_authtoken,
      www_authenticate_uri: 'http://controller:5000',
      auth_url: 'http://controller:5000',
      memcached_servers: ['controller:11211'],
      auth_type: 'password',
      project_domain_name: 'Default',
      user_domain_name: 'Default',
      project_name: 'service',
      username: 'neutron',
      password: 'NEUTRON_PASS',
    });
    assert.equal(config.nova.region_name, 'RegionOne');
    assert.equal(config.nova.username, 'nova');
    assert.equal(config.nova.password, 'NOVA_PASS');
    assert.equal(config.oslo_concurrency.lock_path, '/var/lib/neutron/tmp');
    // Untouched options keep Neutron's defaults.
    assert.equal(config.DEFAULT.bind_port, 9696);
    assert.equal(config.DEFAULT.base_mac, 'fa:16:3e:00:00:00');
    assert.deepEqual(sources.database.connection, {
      kind: 'file',
      file: installGuide,
      line: 22,
      name: 'connection',
    });
  });

  it("has Neutron's defaults", () => {
    const { config } = loadConfig({ files: [], groups: neutronOptionGroups });
    const expected: { [S in keyof NeutronConfig]?: Partial<NeutronConfig[S]> } = {
      DEFAULT: {
        bind_host: '0.0.0.0',
        bind_port: 9696,
        core_plugin: 'ml2',
        service_plugins: [],
        base_mac: 'fa:16:3e:00:00:00',
        mac_generation_retries: 16,
        allow_overlapping_ips: true,
        global_physnet_mtu: 1500,
        max_fixed_ips_per_port: 5,
        dhcp_lease_duration: 86400,
        dns_domain: 'openstacklocal',
        auth_strategy: 'keystone',
        transport_url: undefined,
        api_workers: undefined,
        pagination_max_limit: -1,
        max_dns_nameservers: 5,
        max_subnet_host_routes: 20,
        max_allowed_address_pair: 10,
        allow_bulk: true,
        filter_validation: true,
        network_link_prefix: undefined,
        state_path: '/var/lib/neutron',
        debug: false,
        notify_nova_on_port_status_changes: true,
        notify_nova_on_port_data_changes: true,
        agent_down_time: 75,
        dhcp_agents_per_network: 1,
        network_auto_schedule: true,
        rpc_response_timeout: 60,
        control_exchange: 'neutron',
        ipam_driver: 'internal',
        router_distributed: false,
        l3_ha: false,
        enable_snat_by_default: true,
      },
      database: { connection: undefined },
      quotas: {
        default_quota: -1,
        quota_network: 100,
        quota_subnet: 100,
        quota_port: 500,
        quota_router: 10,
        quota_floatingip: 50,
        quota_security_group: 10,
        quota_security_group_rule: 100,
        quota_rbac_policy: 10,
      },
      keystone_authtoken: { token_cache_time: 300, www_authenticate_uri: undefined },
      oslo_concurrency: { lock_path: '/var/lib/neutron/lock' },
      agent: { report_interval: 30, availability_zone: 'nova' },
      experimental: { linuxbridge: false },
    };
    for (const [section, options] of Object.entries(expected)) {
      for (const [name, want] of Object.entries(options)) {
        const actual: unknown = (config as Record<string, Record<string, unknown>>)[section]?.[name];
        assert.deepEqual(actual, want, `[${section}] ${name}`);
      }
    }
  });

  it('declares every option once, with help', () => {
    const seen = new Set<string>();
    for (const decl of neutronOptionGroups.flat()) {
      const key = `[${decl.section}] ${decl.name}`;
      assert.ok(!seen.has(key), `${key} declared twice`);
      seen.add(key);
      assert.ok(decl.help.length > 0, `${key} has help`);
      assert.ok(decl.section === 'DEFAULT' || decl.section === decl.section.toLowerCase(), `${key} section is normalized`);
    }
  });
});
