/**
 * The L3 agent's router for real: namespaces, veths, addresses, routes and
 * nftables NAT on this kernel, proven over TCP. The test builds a small
 * world in namespaces of its own (nothing in the root namespace): a host
 * namespace for the agent's taps with two bridges standing in for the
 * tenant and external networks, an outside host on the external one, two
 * VMs on the tenant one; and plays the Linux bridge agent by enslaving the
 * agent's taps. It hands the pass a SyncRouter literal, as the server sends
 * it. Each HTTP server answers `<tag> <client address>`, so every check
 * shows who answered and which source address arrived (a ping to a
 * floating IP would prove nothing: the router answers it itself).
 *
 * Router namespaces get the test's own prefix instead of `qrouter-`: the
 * pass deletes router namespaces it does not know, and other work on this
 * machine has real qrouter-* namespaces.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parseRouter, type Router } from '../../../src/agents/l3/model.js';
import { describeStep } from '../../../src/agents/l3/plan.js';
import type { RouterPlanSettings } from '../../../src/agents/l3/routerPlan.js';
import { reconcileRouters, type PassResult } from '../../../src/agents/l3/routerPass.js';
import { stopMetadataProxy } from '../../../src/agents/metadata/proxyProcess.js';
import { IpRoute, listNamespaces } from '../../../src/host/ip.js';
import { listRoutes } from '../../../src/host/routeTable.js';
import { eventually } from '../../helpers/eventually.js';
import { kernelSkip } from '../../helpers/kernel.js';
import { deleteNamespaces, LAB_PROGRAMS, labPrefix, sh } from '../lab.js';

const skip = await kernelSkip([...LAB_PROGRAMS, 'nft', 'conntrack', 'arping', 'sysctl', 'curl', 'haproxy']);

const ROUTER = '5e7a0000-0000-4000-8000-000000000001';
const GW_PORT = '6a7e0000-0001-4000-8000-000000000000';
const IF_PORT = '1f000000-0001-4000-8000-000000000000';
const FIP = 'f1900000-0001-4000-8000-000000000000';
const VM_TAG = `${process.pid}`;

describe('L3 router dataplane: SNAT, floating IPs, drift repair', { skip, timeout: 60_000 }, () => {
  const prefix = labPrefix('l3');
  const hostNs = `${prefix}h`;
  const extNs = `${prefix}ext`;
  const vm1 = `${prefix}vm1`;
  const vm2 = `${prefix}vm2`;
  const state = join(tmpdir(), `nucleon-${prefix}`);
  const settings: RouterPlanSettings = {
    hostNetns: hostNs,
    namespacePrefix: `${prefix}qr-`,
    metadataProxy: { port: 9697, socketPath: join(state, 'metadata_proxy') },
    metadataStateDir: join(state, 'ns-metadata-proxy'),
  };
  let metadataAgent: Server | undefined;
  const routerNs = `${settings.namespacePrefix}${ROUTER}`;
  const n = 10 + (process.pid % 200);
  const internal = (host: number) => `10.236.${n}.${host}`;
  const external = (host: number) => `10.235.${n}.${host}`;
  const servers: ChildProcess[] = [];
  const host = new IpRoute(hostNs);
  const warnings: string[] = [];

  const syncRouter = (floatingIps: boolean): Router =>
    parseRouter({
      id: ROUTER,
      admin_state_up: true,
      external_gateway_info: { network_id: 'ext', enable_snat: true },
      // A network behind vm1 (an extra route): the kernel must take it, and the next pass must find it in place.
      routes: [{ destination: `10.232.${n}.0/24`, nexthop: internal(11) }],
      gw_port: {
        id: GW_PORT,
        network_id: 'ext',
        mac_address: 'fa:16:3e:00:0e:0a',
        fixed_ips: [{ subnet_id: 'ext-sub', ip_address: external(10), prefixlen: 24 }],
        subnets: [{ id: 'ext-sub', cidr: `${external(0)}/24`, gateway_ip: external(1) }],
        mtu: 1500,
      },
      _interfaces: [
        {
          id: IF_PORT,
          network_id: 'net1',
          mac_address: 'fa:16:3e:00:0e:01',
          fixed_ips: [{ subnet_id: 'sub1', ip_address: internal(1), prefixlen: 24 }],
          subnets: [{ id: 'sub1', cidr: `${internal(0)}/24`, gateway_ip: internal(1) }],
          mtu: 1450,
        },
      ],
      _floatingips: floatingIps
        ? [{ id: FIP, floating_ip_address: external(20), floating_network_id: 'ext', fixed_ip_address: internal(12), port_id: 'vm2', router_id: ROUTER, status: 'DOWN' }]
        : [],
    });

  /** The test as the Linux bridge agent: the router's taps go on their networks' bridges. */
  const enslaveTaps = async () => {
    for (const link of await host.links()) {
      if (link.ifname === `tap${IF_PORT.slice(0, 11)}` && link.master !== 'brint') await sh('ip', '-n', hostNs, 'link', 'set', link.ifname, 'master', 'brint');
      if (link.ifname === `tap${GW_PORT.slice(0, 11)}` && link.master !== 'brext') await sh('ip', '-n', hostNs, 'link', 'set', link.ifname, 'master', 'brext');
    }
  };

  const pass = async (routers: Router[], dryRun = false): Promise<PassResult> => {
    const result = await reconcileRouters(settings, host, routers, {
      dryRun,
      // A gratuitous ARP still running when the next test deletes its device fails, harmlessly.
      warn: (obj, msg) => void (msg.includes('gratuitous ARP') ? undefined : warnings.push(`${msg} ${JSON.stringify(obj)}`)),
    });
    for (const outcome of result.routers) if (!outcome.ok) throw outcome.error;
    if (!dryRun) await enslaveTaps();
    return result;
  };

  const stepsOf = (result: PassResult) => result.routers.flatMap((outcome) => outcome.steps.flatMap(describeStep));

  /** What the server at `address` in `ns`'s view says: `<tag> <client address>`, or undefined when nothing answers. */
  const fetch = async (ns: string, address: string): Promise<string | undefined> => {
    try {
      return (await sh('ip', 'netns', 'exec', ns, 'curl', '--noproxy', '*', '-s', '--connect-timeout', '1', '-m', '2', `http://${address}:8080/`)).trim();
    } catch {
      return undefined;
    }
  };

  const serve = (ns: string, tag: string) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('http').createServer((q,s)=>s.end('${tag} '+q.socket.remoteAddress)).listen(8080,'0.0.0.0')`], { stdio: 'ignore' });
    servers.push(child);
  };

  const addVm = async (ns: string, veth: string, bridge: string, cidr: string, gateway: string | undefined) => {
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await sh('ip', 'link', 'add', veth, 'netns', hostNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await sh('ip', '-n', hostNs, 'link', 'set', veth, 'master', bridge, 'up');
    await sh('ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0');
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'mtu', bridge === 'brint' ? '1450' : '1500', 'up');
    if (gateway) await sh('ip', '-n', ns, 'route', 'add', 'default', 'via', gateway);
  };

  before(async () => {
    await deleteNamespaces(prefix);
    await rm(state, { recursive: true, force: true });
    await mkdir(state, { recursive: true });
    // What the metadata agent would receive from the router's proxy: the headers haproxy sets.
    metadataAgent = createServer((req, res) => {
      res.end(JSON.stringify({ router: req.headers['x-neutron-router-id'], network: req.headers['x-neutron-network-id'] ?? null, forwardedFor: req.headers['x-forwarded-for'] }));
    });
    await new Promise<void>((resolve) => metadataAgent!.listen(settings.metadataProxy!.socketPath, resolve));
    await sh('ip', 'netns', 'add', hostNs);
    await sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
    for (const bridge of ['brint', 'brext']) {
      await sh('ip', '-n', hostNs, 'link', 'add', bridge, 'type', 'bridge');
      await sh('ip', '-n', hostNs, 'link', 'set', bridge, 'up');
    }
    // The outside host has no route back to the tenant network: only NAT gets it an answer.
    await addVm(extNs, 'vext', 'brext', `${external(1)}/24`, undefined);
    await addVm(vm1, 'vvm1', 'brint', `${internal(11)}/24`, internal(1));
    await addVm(vm2, 'vvm2', 'brint', `${internal(12)}/24`, internal(1));
    serve(extNs, 'ext');
    serve(vm1, `vm1-${VM_TAG}`);
    serve(vm2, `vm2-${VM_TAG}`);
    // A router namespace of this agent's kind that no router needs any more: the first pass removes it.
    await sh('ip', 'netns', 'add', `${settings.namespacePrefix}00000000-dead-4000-8000-000000000000`);
    for (const ns of [extNs, vm1, vm2]) await eventually(`${ns}'s server`, async () => (await sh('ip', 'netns', 'exec', ns, 'ss', '-Hltn', 'sport = :8080')).trim() !== '');
  });

  after(async () => {
    for (const server of servers) server.kill('SIGKILL');
    // By its pid file: a proxy whose namespace lost its name would escape deleteNamespaces.
    await stopMetadataProxy({ stateDir: settings.metadataStateDir, owner: { kind: 'router', id: ROUTER } });
    // deleteNamespaces kills what runs inside them, the router's haproxy included.
    await deleteNamespaces(prefix);
    await new Promise((resolve) => metadataAgent?.close(resolve));
    await rm(state, { recursive: true, force: true });
  });

  const haproxyPid = async (): Promise<number | undefined> => {
    const text = await readFile(join(settings.metadataStateDir, `${ROUTER}.pid`), 'utf8').catch(() => '');
    return text.trim() === '' ? undefined : Number(text.trim());
  };

  /** A VM's request to 169.254.169.254, as the metadata agent saw it; undefined when nothing answers. */
  const metadata = async (vm: string, address = '169.254.169.254', port = 80): Promise<Record<string, unknown> | undefined> => {
    try {
      const out = await sh('ip', 'netns', 'exec', vm, 'curl', '--noproxy', '*', '-s', '-f', '--connect-timeout', '1', '-m', '2', `http://${address}:${port}/latest/meta-data/`);
      return JSON.parse(out) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  it('builds the router: VMs reach the outside through SNAT, the outside reaches a VM on its floating IP', async () => {
    const started = performance.now();
    const result = await pass([syncRouter(true)]);
    const ms = performance.now() - started;
    assert.ok(stepsOf(result).length > 0);
    assert.deepEqual([...result.removed.keys()], ['00000000-dead-4000-8000-000000000000']);
    assert.ok(!(await listNamespaces()).includes(`${settings.namespacePrefix}00000000-dead-4000-8000-000000000000`));
    assert.equal(await eventually('vm1 -> outside', () => fetch(vm1, external(1))), `ext ${external(10)}`, 'the outside sees the gateway address');
    assert.equal(await fetch(extNs, external(20)), `vm2-${VM_TAG} ${external(1)}`, 'the VM behind the floating IP sees the real client');
    assert.equal(await fetch(vm2, external(1)), `ext ${external(20)}`, 'the VM with a floating IP leaves with it');
    assert.equal(await fetch(vm1, external(20)), `vm2-${VM_TAG} ${external(10)}`, 'a VM reaches another on its floating IP (through the router)');
    assert.equal(await fetch(vm1, internal(12)), `vm2-${VM_TAG} ${internal(11)}`, 'inside the network nothing is translated');
    const routes = await listRoutes(routerNs);
    assert.ok(routes.some((route) => route.dst === `10.232.${n}.0/24` && route.gateway === internal(11)), JSON.stringify(routes));
    assert.ok(ms < 3_000, `first pass took ${Math.round(ms)} ms`);
  });

  it('a second pass on unchanged state plans and applies nothing', async () => {
    const started = performance.now();
    const result = await pass([syncRouter(true)]);
    assert.deepEqual(stepsOf(result), []);
    assert.deepEqual([...result.removed.keys()], []);
    assert.ok(performance.now() - started < 1_000);
  });

  it('VMs reach the metadata proxy in the router namespace, which names the router; its port is closed otherwise', async () => {
    assert.deepEqual(await eventually('metadata through the router', () => metadata(vm1)), { router: ROUTER, network: null, forwardedFor: internal(11) });
    assert.equal(await metadata(vm1, internal(1), 9697), undefined, 'the proxy port itself is not open to the VMs');
  });

  it('a flushed table and a removed floating address are restored by the next pass', async () => {
    await sh('ip', 'netns', 'exec', routerNs, 'nft', 'flush', 'table', 'ip', 'neutron-l3-agent');
    await sh('ip', '-n', routerNs, 'addr', 'del', `${external(20)}/32`, 'dev', `qg-${GW_PORT.slice(0, 11)}`);
    const result = await pass([syncRouter(true)]);
    const kinds = result.routers[0]!.steps.map((step) => step.kind);
    assert.ok(kinds.includes('nft') && kinds.includes('ip'), kinds.join(', '));
    assert.equal(await eventually('outside -> floating IP', () => fetch(extNs, external(20))), `vm2-${VM_TAG} ${external(1)}`);
  });

  it('removing the floating IP cuts it (rules, address and its connections go)', async () => {
    const result = await pass([syncRouter(false)]);
    assert.ok(result.routers[0]!.steps.some((step) => step.kind === 'flush-conntrack'));
    assert.equal(await fetch(extNs, external(20)), undefined);
    assert.equal(await fetch(vm2, external(1)), `ext ${external(10)}`, 'vm2 now leaves through the gateway address');
  });

  it('a deleted router namespace is rebuilt by the next pass', async () => {
    // The proxy inside keeps the unnamed namespace (and so its devices) alive: the pass must replace both.
    const oldProxy = await haproxyPid();
    await sh('ip', 'netns', 'delete', routerNs);
    const result = await pass([syncRouter(true)]);
    assert.equal(result.routers[0]!.steps[0]?.kind, 'add-namespace');
    assert.ok((await listNamespaces()).includes(routerNs));
    assert.equal(await eventually('vm1 -> outside', () => fetch(vm1, external(1))), `ext ${external(10)}`);
    assert.equal(await fetch(extNs, external(20)), `vm2-${VM_TAG} ${external(1)}`);
    assert.notEqual(await haproxyPid(), oldProxy, 'the proxy now runs in the new namespace');
    assert.equal((await eventually('metadata again', () => metadata(vm2)))['router'], ROUTER);
    assert.deepEqual(stepsOf(await pass([syncRouter(true)])), [], 'and the pass after that has nothing to do');
  });

  it('a router no longer hosted: its namespace and taps go', async () => {
    const result = await pass([]);
    assert.deepEqual([...result.removed.keys()], [ROUTER]);
    assert.ok(!(await listNamespaces()).includes(routerNs));
    await eventually('the taps gone', async () => !(await host.links()).some((link) => link.ifname.startsWith('tap')));
    assert.equal(await haproxyPid(), undefined, 'the proxy stopped and its files removed');
    assert.deepEqual(warnings, []);
  });
});
