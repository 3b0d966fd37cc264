import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bridgeName } from '../../../src/agents/l2/names.js';
import { plugPlan, tapName } from '../../../src/agents/plug/vif.js';

describe('plugging a namespace into a port', () => {
  const vif = { portId: '3f8a2c1e-77b0-4d6e-9a51-0c2b7d9e4f10', macAddress: 'fa:16:3e:12:34:56', mtu: 1450, netns: 'vm1', ifname: 'eth0' };

  it('names the tap as Neutron does: tap and the first 11 characters of the port id', () => {
    assert.equal(tapName(vif.portId), 'tap3f8a2c1e-77');
  });

  it('creates the tap with the network MTU and a host-side MAC that is not the instance\'s', () => {
    assert.deepEqual(plugPlan(vif), [
      'link add tap3f8a2c1e-77 type veth peer name eth0 netns vm1',
      'link set tap3f8a2c1e-77 address fe:16:3e:12:34:56 mtu 1450 up',
    ]);
  });

  it("a vif_type bridge port joins the network's bridge as libvirt puts it there, the bridge made as os-vif makes it when missing", () => {
    const bridge = bridgeName('9343b56e-ea2b-4dec-9ef9-b07d435b6e5e');
    assert.equal(bridge, 'brq9343b56e-ea');
    assert.deepEqual(plugPlan({ ...vif, bridge }, false), [
      'link add brq9343b56e-ea type bridge forward_delay 0 stp_state 0',
      'link set brq9343b56e-ea up',
      'link add tap3f8a2c1e-77 type veth peer name eth0 netns vm1',
      'link set tap3f8a2c1e-77 address fe:16:3e:12:34:56 mtu 1450 up',
      'link set tap3f8a2c1e-77 master brq9343b56e-ea',
    ]);
    assert.deepEqual(plugPlan({ ...vif, bridge }, true).slice(-1), ['link set tap3f8a2c1e-77 master brq9343b56e-ea']);
  });
});
