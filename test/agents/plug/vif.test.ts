import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

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
});
