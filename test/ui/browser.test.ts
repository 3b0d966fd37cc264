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

import { createTestDatabase, type TestDatabase } from '../db/databases.js';
import { underCi } from '../helpers/kernel.js';
import { type TestApi, startTestApi } from '../helpers/testApi.js';
import { ensurePageBuilt } from './builtPage.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `${CHROMIUM} is missing: apt-get install -y chromium`;
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
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    await ensurePageBuilt();
    database = await createTestDatabase('sqlite');
    api = await startTestApi(database.url);
    profile = await mkdtemp(join(tmpdir(), 'nucleon-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await api?.close();
    await database?.drop();
  });

  test('loads under noauth straight into the graph, with no console error', async () => {
    const external = await api.request('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } });
    await api.request('POST', '/v2.0/subnets', { subnet: { network_id: external.body.network.id, cidr: '203.0.113.0/24', ip_version: 4 } });
    await page.goto(`${api.url}/ui/`);
    await page.waitForFunction(() => document.getElementById('status-text')?.textContent?.includes('live'), undefined, { timeout: 15_000 });
    await waitForNode(page, 'public');
    assert.match((await page.textContent('#who')) ?? '', /noauth/);
    assert.deepEqual(consoleErrors, []);
  });

  test('a network created from the page appears in the graph and in the API', async () => {
    await page.click('#new-network');
    await page.fill('#create-fields input[name=name]', 'made-in-page');
    await page.click('#create-form button[type=submit]');
    await waitForNode(page, 'made-in-page');
    const listed = await api.request('GET', '/v2.0/networks?name=made-in-page');
    assert.equal(listed.body.networks.length, 1);
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
      const port = await api.request('POST', '/v2.0/ports', { port: { network_id: id, device_owner: 'compute:nova', device_id: `vm-${i}`, 'binding:host_id': 'compute1' } });
      assert.equal(port.status, 201);
    }
    await waitForNode(page, 'made-by-api');
    await waitForNode(page, 'api-v4 10.20.0.0/24');
    await page.waitForFunction(() => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.nodes('[kind = "instance"]').length === 12, undefined, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
  });

  test("a port's path names its device and host; the search box highlights what matches", async () => {
    const ports = await api.request('GET', '/v2.0/ports?device_id=vm-3');
    const port = ports.body.ports[0];
    await clickNode(page, `port:${port.id}`);
    await page.locator('#details ol.path').waitFor();
    const details = (await page.textContent('#details')) ?? '';
    assert.match(details, new RegExp(`tap${port.id.slice(0, 11)}`));
    assert.match(details, /compute1/);
    assert.match(details, /default/, 'its security group');

    await page.fill('#search', 'made-by');
    const matched = await page.evaluate(() => (window as unknown as { nucleon: { cy: import('cytoscape').Core } }).nucleon.cy.nodes('.match').map((n) => String(n.data('label'))));
    assert.deepEqual(matched, ['made-by-api']);
    await page.fill('#search', '');
  });

  test('a screenshot is kept as a test artifact', async (t) => {
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
