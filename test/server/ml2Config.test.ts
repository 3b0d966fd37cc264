/** ml2_conf.ini checks at start-up: a bad value names file, section and option. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { ConfigError } from '../../src/common/errors.js';
import { loadNeutronConfig } from '../../src/server/config.js';
import { buildTypeManager } from '../../src/server/ml2.js';

const dir = mkdtempSync(join(tmpdir(), 'nucleon-ml2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function typeManagerFor(ini: string) {
  const file = join(dir, `ml2_conf_${Math.random().toString(36).slice(2)}.ini`);
  writeFileSync(file, ini);
  const { loaded } = loadNeutronConfig(['--config-file', file]);
  return { file, build: () => buildTypeManager(loaded) };
}

describe('ml2_conf.ini', () => {
  it('loads the install guide settings', () => {
    const { build } = typeManagerFor(`[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = linuxbridge,l2population
extension_drivers = port_security
[ml2_type_flat]
flat_networks = provider
[ml2_type_vxlan]
vni_ranges = 1:1000
`);
    assert.ok(build());
  });

  const bad: [string, string, RegExp][] = [
    ['[ml2_type_vxlan]\nvni_ranges = 100:1\n', '[ml2_type_vxlan] vni_ranges', /wrong way round/],
    ['[ml2_type_vxlan]\nvni_ranges = 1:16777216\n', '[ml2_type_vxlan] vni_ranges', /outside 1\.\.16777215/],
    ['[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:1:5000\n', '[ml2_type_vlan] network_vlan_ranges', /outside 1\.\.4094/],
    ['[ml2_type_gre]\ntunnel_id_ranges = x\n', '[ml2_type_gre] tunnel_id_ranges', /min:max/],
    ['[ml2]\ntype_drivers = vxlan,banana\n', '[ml2] type_drivers', /unknown type driver 'banana'/],
    ['[ml2]\ntype_drivers = vxlan\ntenant_network_types = vlan\n', '[ml2] tenant_network_types', /not in type_drivers/],
    ['[ml2]\nmechanism_drivers = ovn\n', '[ml2] mechanism_drivers', /unknown mechanism driver 'ovn'/],
    ['[ml2]\nphysical_network_mtus = physnet1\n', '[ml2] physical_network_mtus', /physnet:mtu/],
  ];
  for (const [ini, where, reason] of bad) {
    it(`refuses ${ini.trim().replace(/\n/g, ' ')}`, () => {
      const { file, build } = typeManagerFor(ini);
      assert.throws(build, (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.startsWith(`${file}: ${where}: `), err.message);
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});
