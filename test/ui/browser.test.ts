/**
 * The topology page in a real browser: Debian's chromium driven by
 * playwright-core (no browser download), against a real server under noauth.
 * The page loads with no console error, a network created from the page
 * appears in the graph and in the API, one created through the API appears
 * without a reload, a refused request shows the API's own message, a port's
 * path names its devices, and a network is deleted from the page. A
 * screenshot is kept as a test artifact (its path is printed).
 *
 * Without /usr/bin/chromium the test skips, naming the package; under
 * CI=true it fails instead (.ci/run installs chromium).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { type BrowserContext, chromium, type Page } from 'playwright-core';

import { openDatabase, type OpenDatabase } from '../../src/db/connect.js';
import { AgentService } from '../../src/plugins/agents/agentService.js';
import { parseAgentState } from '../../src/plugins/agents/stateReports.js';
import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { linuxBridgeAgentState } from '../helpers/agentStates.js';
import { underCi } from '../helpers/kernel.js';
import { ensureKeystone, keystoneOverrides } from '../helpers/keystone.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { ensurePageBuilt } from './builtPage.js';

/** Debian's chromium; NUCLEON_CHROMIUM names another build of it. */
const CHROMIUM = process.env['NUCLEON_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Routers, and ports bound by the Linux bridge driver on VXLAN networks, so that the page has all it draws. */
const SERVER = {
  DEFAULT: { service_plugins: ['router'] },
  ml2: { tenant_network_types: ['vxlan'], mechanism_drivers: ['linuxbridge', 'l2population'] },
  ml2_type_vxlan: { vni_ranges: ['1:100'] },
} as const;

/** A fresh profile in a fresh directory, removed by close(). */
async function launch(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'nucleon-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `${CHROMIUM} is missing: apt-get install -y chromium (or set NUCLEON_CHROMIUM)`;
  if (underCi()) throw new Error(`CI=true, and the browser test would skip: ${reason} (.ci/run installs it)`);
  return reason;
}

/** What the page's graph holds, read through the cytoscape instance it exposes as window.nucleon.cy. */
interface GraphNode {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
}

async function graphNodes(page: Page): Promise<GraphNode[]> {
  return page.evaluate(() => {
    const { cy } = (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon;
    return cy.nodes().map((n) => ({ id: n.id(), kind: String(n.data('kind')), label: String(n.data('label')) }));
  });
}

async function waitForNode(page: Page, label: string, present = true): Promise<void> {
  await page.waitForFunction(
    ([wanted, shown]) => {
      const { cy } = (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon;
      return cy.nodes().some((n) => n.data('label') === wanted) === shown;
    },
    [label, present] as const,
    { timeout: 15_000 },
  );
}

/** Clicks a node where the browser draws it, as a person would. */
async function clickNode(page: Page, id: string): Promise<void> {
  const at = await page.evaluate((nodeId) => {
    const { cy } = (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon;
    const node = cy.getElementById(nodeId);
    cy.center(node);
    const box = cy.container()?.getBoundingClientRect();
    const position = node.renderedPosition();
    return { x: (box?.left ?? 0) + position.x, y: (box?.top ?? 0) + position.y };
  }, id);
  await page.mouse.click(at.x, at.y);
}

describe('the topology page in chromium', { skip: chromiumSkip() }, () => {
  let database: TestDatabase;
  let api: TestApi;
  let agentDb: OpenDatabase;
  let browser: Awaited<ReturnType<typeof launch>>;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    await ensurePageBuilt();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url, SERVER);
    // Agents as their heartbeats register them: Linux bridge agents bind the ports on their hosts.
    agentDb = await openDatabase(database.url);
    const agents = new AgentService(agentDb.db, 75);
    for (const host of ['compute1', 'compute2']) await agents.reportState(linuxBridgeAgentState(host));
    await agents.reportState(parseAgentState({ agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', host: 'controller', topic: 'dhcp_agent', configurations: {}, start_flag: true }));
    await agents.reportState(parseAgentState({ agent_type: 'L3 agent', binary: 'neutron-l3-agent', host: 'controller', topic: 'l3_agent', configurations: {}, start_flag: true }));
    browser = await launch();
    page = browser.page;
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await agentDb?.close();
    await database?.drop();
  });

  test('loads under noauth straight into the graph, with no console error', async () => {
    const external = await api.request('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } });
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: external.body.network.id, cidr: '203.0.113.0/24', ip_version: 4 } });
    const router = await api.request('POST', '/v2.0/routers', { router: { name: 'edge', external_gateway_info: { network_id: external.body.network.id } } });
    assert.equal(router.status, 201);
    await page.goto(`${api.url}/ui/`);
    await page.waitForFunction(() => document.getElementById('status-text')?.textContent?.includes('live'), undefined, { timeout: 15_000 });
    await waitForNode(page, 'public');
    await waitForNode(page, 'edge');
    assert.match((await page.textContent('#who')) ?? '', /noauth/);
    const agents = (await page.textContent('#agents')) ?? '';
    assert.match(agents, /Linux bridge agent\s*compute1\s*alive/);
    assert.match(agents, /DHCP agent\s*controller\s*alive/);
    assert.deepEqual(consoleErrors, []);
  });

  test('a network created from the page appears in the graph and in the API', async () => {
    await page.click('#new-network');
    await page.fill('#create-fields input[name=name]', 'made-in-page');
    await page.click('#create-form button[type=submit]');
    await waitForNode(page, 'made-in-page');
    const listed = await api.request('GET', '/v2.0/networks?name=made-in-page');
    assert.equal(listed.body.networks.length, 1);
    await page.waitForFunction((id) => document.getElementById('details')?.textContent?.includes(id), listed.body.networks[0].id, { timeout: 5000 });
  });

  test("a request the API refuses shows the API's own message", async () => {
    const network = (await api.request('GET', '/v2.0/networks?name=made-in-page')).body.networks[0];
    const refused = await api.request('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.0.0.0/33', ip_version: 4, enable_dhcp: true } });
    assert.equal(refused.status, 400);
    await page.click('#new-subnet');
    await page.selectOption('#create-fields select[name=network_id]', network.id);
    await page.fill('#create-fields input[name=cidr]', '10.0.0.0/33');
    await page.click('#create-form button[type=submit]');
    const error = page.locator('#create .form-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), `${refused.body.NeutronError.type}: ${refused.body.NeutronError.message}`);
    await page.click('#create-cancel');
    // The browser reports the refused request itself in the console: that one is expected.
    const reported = consoleErrors.findIndex((text) => text.includes('status of 400'));
    assert.notEqual(reported, -1);
    consoleErrors.splice(reported, 1);
  });

  test('a network created through the API appears without a reload, with its subnet and ports', async () => {
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    const network = await api.request('POST', '/v2.0/networks', { network: { name: 'made-by-api' } });
    const id: string = network.body.network.id;
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: id, cidr: '10.20.0.0/24', ip_version: 4, name: 'api-v4' } });
    for (let i = 0; i < 12; i += 1) {
      const port = await api.request('POST', '/v2.0/ports', { port: { network_id: id, device_owner: 'compute:nova', device_id: `vm-${i}`, 'binding:host_id': `compute${1 + (i % 2)}` } });
      assert.equal(port.status, 201);
    }
    const edge = (await api.request('GET', '/v2.0/routers?name=edge')).body.routers[0];
    const subnet = (await api.request('GET', `/v2.0/subnets?network_id=${id}`)).body.subnets[0];
    assert.equal((await api.request('PUT', `/v2.0/routers/${edge.id}/add_router_interface`, { subnet_id: subnet.id })).status, 200);
    await waitForNode(page, 'made-by-api');
    await waitForNode(page, 'api-v4 10.20.0.0/24');
    await page.waitForFunction(() => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.nodes('[kind = "instance"]').length === 12, undefined, { timeout: 15_000 });
    await page.waitForFunction((routerId) => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.getElementById(`rtr:${routerId}`).connectedEdges().length === 2, edge.id, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
  });

  test("a port's path names its host, its tap and its network's bridge; the search box highlights what matches", async () => {
    const ports = await api.request('GET', '/v2.0/ports?device_id=vm-3');
    const port = ports.body.ports[0];
    assert.equal(port['binding:vif_type'], 'bridge', 'bound by the Linux bridge driver');
    await clickNode(page, `port:${port.id}`);
    await page.locator('#details ol.path').waitFor();
    const details = (await page.textContent('#details')) ?? '';
    assert.match(details, new RegExp(`tap${port.id.slice(0, 11)}`));
    assert.match(details, new RegExp(`brq${port.network_id.slice(0, 11)}`));
    assert.match(details, /compute2/);
    assert.match(details, /default/, 'its security group');

    await page.fill('#search', 'made-by');
    const matched = await page.evaluate(() => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.nodes('.match').map((n) => String(n.data('label'))));
    assert.deepEqual(matched, ['made-by-api']);
    await page.fill('#search', '');
  });

  test('names and ids from the API are shown as text, never run as markup', async () => {
    const network = (await api.request('GET', '/v2.0/networks?name=made-by-api')).body.networks[0];
    const markup = '<img src=x onerror="window.pwned=1">';
    const port = await api.request('POST', '/v2.0/ports', { port: { network_id: network.id, name: markup, device_owner: 'network:router_interface', device_id: markup } });
    assert.equal(port.status, 201);
    await page.waitForFunction((id) => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.getElementById(`port:${id}`).nonempty(), port.body.port.id, { timeout: 15_000 });
    await clickNode(page, `port:${port.body.port.id}`);
    await page.locator('#details ol.path').waitFor();
    assert.match((await page.textContent('#details')) ?? '', /<img src=x/);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.body.port.id}`)).status, 204);
    await page.waitForFunction((id) => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.getElementById(`port:${id}`).empty(), port.body.port.id, { timeout: 15_000 });
  });

  test('a screenshot is kept as a test artifact', async (t) => {
    // With a port's path in the details, as a person would look at it.
    const port = (await api.request('GET', '/v2.0/ports?device_id=vm-3')).body.ports[0];
    await clickNode(page, `port:${port.id}`);
    await page.locator('#details ol.path').waitFor();
    await page.click('#fit');
    await page.waitForTimeout(500);
    await mkdir(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'ui-topology.png');
    await page.screenshot({ path });
    t.diagnostic(`screenshot: ${path}`);
    console.log(`# screenshot of the topology page: ${path}`);
  });

  test('a network deleted from the page leaves the graph and the API', async () => {
    const made = (await api.request('GET', '/v2.0/networks?name=made-in-page')).body.networks[0];
    await clickNode(page, `net:${made.id}`);
    const button = page.locator('#details button[data-delete]');
    await button.click();
    await button.click(); // the second click confirms
    await waitForNode(page, 'made-in-page', false);
    assert.equal((await api.request('GET', `/v2.0/networks/${made.id}`)).status, 404);
    assert.ok((await graphNodes(page)).some((n) => n.label === 'made-by-api'));
    assert.deepEqual(consoleErrors, []);
  });
});

describe('the topology page in chromium, logging in at Keystone', { skip: chromiumSkip() }, () => {
  test('a member logs in with the form, sees the networks of the project and a note instead of the agents', async () => {
    await ensurePageBuilt();
    const keystone = await ensureKeystone();
    const database = await createTestDatabase('sqlite');
    const api = await startTestApi(database.url, keystoneOverrides(keystone));
    const browser = await launch();
    const consoleErrors: string[] = [];
    browser.page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    try {
      const demo = await keystone.login('demo');
      const created = await api.request('POST', '/v2.0/networks', { network: { name: 'demo-net' } }, { 'x-auth-token': demo.token });
      assert.equal(created.status, 201);
      const { page } = browser;
      await page.goto(`${api.url}/ui/`);
      const login = page.locator('#login');
      await login.waitFor({ state: 'visible' });
      await page.fill('#login-form input[name=username]', keystone.env['DEMO_USERNAME'] ?? 'demo');
      await page.fill('#login-form input[name=password]', 'not the password');
      await page.fill('#login-form input[name=project]', keystone.projectName('demo'));
      await page.click('#login-form button[type=submit]');
      const error = page.locator('#login .form-error');
      await error.waitFor({ state: 'visible' });
      assert.match((await error.textContent()) ?? '', /^Keystone refused the login: /);
      consoleErrors.length = 0; // the refused login's 401, reported by the browser itself

      await page.fill('#login-form input[name=password]', keystone.password('demo'));
      await page.click('#login-form button[type=submit]');
      await waitForNode(page, 'demo-net');
      assert.match((await page.textContent('#who')) ?? '', new RegExp(keystone.projectName('demo')));
      assert.match((await page.textContent('#agents')) ?? '', /administrators only/);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await browser.close();
      await api.close();
      await database.drop();
    }
  });
});
