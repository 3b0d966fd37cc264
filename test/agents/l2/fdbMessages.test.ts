/**
 * l2population messages as the agent receives them (malformed ones never
 * get here: test/rpc/contract.test.ts), and the desired
 * forwarding state it keeps from them: the host's own VTEP is ignored, a
 * removal is remembered until the pass has deleted it, an add after a
 * removal wins, chg_ip moves an address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toDeviceDetails } from '../../../src/agents/l2/deviceDetails.js';
import { ipChanges, networkEntries } from '../../../src/agents/l2/fdbMessages.js';
import { FdbTable } from '../../../src/agents/l2/fdbTable.js';

const NET = 'net-1';

describe('l2population messages', () => {
  it('add/remove_fdb_entries: VXLAN networks only', () => {
    const parsed = networkEntries({
      [NET]: { segment_id: 1001, network_type: 'vxlan', ports: { '10.0.0.2': [['00:00:00:00:00:00', '0.0.0.0'], ['fa:16:3e:00:00:12', '10.1.0.12']] } },
      'net-vlan': { segment_id: 5, network_type: 'vlan', ports: { '10.0.0.2': [['fa:16:3e:00:00:13', '10.1.0.13']] } },
    });
    assert.deepEqual(parsed, [
      {
        networkId: NET,
        entries: [
          { vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
          { vtep: '10.0.0.2', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.12' },
        ],
      },
    ]);
    assert.deepEqual(networkEntries({}), []);
  });

  it('update_fdb_entries: chg_ip before/after per VTEP', () => {
    const changes = ipChanges({ chg_ip: { [NET]: { '10.0.0.2': { before: [['fa:16:3e:00:00:12', '10.1.0.12']], after: [['fa:16:3e:00:00:12', '10.1.0.40']] } } } });
    assert.deepEqual(changes, [
      { networkId: NET, before: [{ vtep: '10.0.0.2', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.12' }], after: [{ vtep: '10.0.0.2', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.40' }] },
    ]);
  });

  it('the table: own VTEP ignored, removals remembered until forgotten, a re-add cancels a removal', () => {
    const table = new FdbTable('10.0.0.1');
    table.add(NET, [
      { vtep: '10.0.0.1', mac: 'fa:16:3e:00:00:11', ip: '10.1.0.11' },
      { vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
      { vtep: '10.0.0.2', mac: 'FA:16:3E:00:00:12', ip: '10.1.0.12' },
    ]);
    let fdb = table.forNetwork(NET);
    assert.deepEqual([...fdb.floodVteps], ['10.0.0.2']);
    assert.deepEqual([...fdb.macs], [['fa:16:3e:00:00:12', '10.0.0.2']]);
    assert.deepEqual([...fdb.neighbours], [['10.1.0.12', 'fa:16:3e:00:00:12']]);
    assert.equal(table.entryCount(), 2);

    table.remove(NET, [{ vtep: '10.0.0.2', mac: 'fa:16:3e:00:00:12', ip: '10.1.0.12' }]);
    fdb = table.forNetwork(NET);
    assert.equal(fdb.macs.size, 0);
    assert.deepEqual([...fdb.removedMacs], [['fa:16:3e:00:00:12', '10.0.0.2']]);
    assert.deepEqual([...fdb.removedNeighbours], ['10.1.0.12']);
    // A pass whose lines for NET failed keeps its removals for the next one; a successful pass drops them.
    table.keepOnly(new Set([NET]), new Set([NET]));
    assert.equal(table.forNetwork(NET).removedMacs.size, 1);
    table.keepOnly(new Set([NET]), new Set());
    assert.equal(table.forNetwork(NET).removedMacs.size, 0);

    table.remove(NET, [{ vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' }]);
    table.add(NET, [{ vtep: '10.0.0.2', mac: '00:00:00:00:00:00', ip: '0.0.0.0' }]);
    fdb = table.forNetwork(NET);
    assert.deepEqual([...fdb.floodVteps], ['10.0.0.2']);
    assert.equal(fdb.removedFloodVteps.size, 0);
    table.add('other', [{ vtep: '10.0.0.3', mac: '00:00:00:00:00:00', ip: '0.0.0.0' }]);
    table.keepOnly(new Set([NET]), new Set());
    assert.equal(table.forNetwork('other').floodVteps.size, 0, 'a network without a port here is forgotten');
    table.forgetNetwork(NET);
    assert.equal(table.entryCount(), 0);
  });
});

describe('device details from the server', () => {
  it('a bound port, an unknown device, an instance bound elsewhere', () => {
    const bound = toDeviceDetails({
      device: 'tap11111111-aa',
      port_id: '11111111-aaaa',
      network_id: 'net-1',
      mac_address: 'FA:16:3E:00:00:11',
      admin_state_up: true,
      network_type: 'vxlan',
      segmentation_id: 1001,
      physical_network: null,
      mtu: 1450,
      fixed_ips: [{ subnet_id: 's', ip_address: '10.1.0.11' }],
    });
    assert.deepEqual(bound, {
      kind: 'bound',
      device: 'tap11111111-aa',
      portId: '11111111-aaaa',
      networkId: 'net-1',
      macAddress: 'fa:16:3e:00:00:11',
      adminStateUp: true,
      networkType: 'vxlan',
      segmentationId: 1001,
      physicalNetwork: null,
      mtu: 1450,
      fixedIps: ['10.1.0.11'],
    });
    assert.deepEqual(toDeviceDetails({ device: 'tapx' }), { kind: 'unbound', device: 'tapx' });
    assert.deepEqual(toDeviceDetails({ device: 'tapx', no_active_binding: true, port_id: 'p', network_id: 'n', mac_address: 'm', network_type: 'vxlan' }), {
      kind: 'unbound',
      device: 'tapx',
    });
  });
});
