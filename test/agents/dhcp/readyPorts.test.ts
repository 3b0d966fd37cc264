import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DhcpNetwork, DhcpPort } from '../../../src/agents/dhcp/model.js';
import { READY_BATCH, ReadyPorts } from '../../../src/agents/dhcp/readyPorts.js';

const port = (id: string, ip: string, mac = 'fa:16:3e:00:00:01'): DhcpPort => ({
  id,
  network_id: 'net',
  mac_address: mac,
  device_owner: 'compute:nova',
  device_id: `vm-${id}`,
  fixed_ips: [{ subnet_id: 'sub', ip_address: ip }],
  dns_assignment: [],
  extra_dhcp_opts: [],
  revision_number: 1,
});
const network = (ports: DhcpPort[]): DhcpNetwork => ({ id: 'net', ports }) as unknown as DhcpNetwork;

describe('the ports reported with dhcp_ready_on_ports', () => {
  it('reports every port once configured, except the own DHCP port, and again only after its MAC or addresses change', async () => {
    const ready = new ReadyPorts();
    const sent: string[][] = [];
    const send = async (ids: string[]) => void sent.push(ids);
    ready.configured(network([port('dhcp', '10.0.0.2'), port('a', '10.0.0.3'), port('b', '10.0.0.4')]), 'dhcp');
    await ready.report(send);
    assert.deepEqual(sent, [['a', 'b']]);
    ready.configured(network([port('dhcp', '10.0.0.2'), port('a', '10.0.0.3'), port('b', '10.0.0.9')]), 'dhcp');
    await ready.report(send);
    assert.deepEqual(sent, [['a', 'b'], ['b']]);
    await ready.report(send);
    assert.equal(sent.length, 2, 'nothing pending: no call');
  });

  it('keeps a batch the server did not take for the next pass, sends in batches of 64, and forgets ports that are gone', async () => {
    const ready = new ReadyPorts();
    const many = Array.from({ length: READY_BATCH + 1 }, (_, i) => port(`p${i}`, `10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`));
    ready.configured(network(many), 'none');
    await assert.rejects(ready.report(async () => Promise.reject(new Error('server away'))));
    const sent: string[][] = [];
    await ready.report(async (ids) => void sent.push(ids));
    assert.deepEqual(sent.map((batch) => batch.length), [READY_BATCH, 1]);
    ready.keepOnly([network([])]);
    ready.configured(network([many[0]!]), 'none');
    await ready.report(async (ids) => void sent.push(ids));
    assert.deepEqual(sent.at(-1), ['p0'], 'a port that left and came back is reported again');
  });
});
