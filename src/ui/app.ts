/**
 * The network topology page (docs/ui.md), in the browser. It is a client of
 * the API like any other: it logs in (Keystone through /ui/login, or straight
 * in under noauth), keeps the token in memory, sends it as X-Auth-Token, and
 * polls the collections with `fields=` every few seconds. Each poll becomes a
 * list of cytoscape elements; only the elements that appeared, went away or
 * changed are touched, and the deterministic layout runs only when the set
 * of elements changed, so nothing jumps while a user looks at it.
 *
 * Built by tsc with the rest of src/ into dist/ui/app.js; `cytoscape` is
 * resolved by the page's import map to the copy the server serves.
 */
import cytoscape from 'cytoscape';
import type { Core, ElementDefinition, NodeSingular, StylesheetJson } from 'cytoscape';

const POLL_MS = 2500;

// ---------------------------------------------------------------- the API

interface Network {
  id: string;
  name: string;
  status: string;
  shared?: boolean;
  'router:external'?: boolean;
  'provider:network_type'?: string;
  'provider:segmentation_id'?: number | null;
  subnets?: string[];
}
interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  enable_dhcp: boolean;
}
interface FixedIp {
  subnet_id: string;
  ip_address: string;
}
interface Port {
  id: string;
  name: string;
  network_id: string;
  device_owner: string;
  device_id: string;
  status: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  security_groups?: string[];
  admin_state_up?: boolean;
}
interface Router {
  id: string;
  name: string;
  status: string;
  external_gateway_info?: { network_id?: string } | null;
}
interface Agent {
  id: string;
  agent_type: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  binary: string;
  heartbeat_timestamp?: string;
}
interface SecurityGroup {
  id: string;
  name: string;
}

/** A failed API call, with the API's own NeutronError type and message. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface Session {
  /** Sent with every API call: X-Auth-Token, or nothing under noauth. */
  readonly headers: Record<string, string>;
  readonly who: string;
  /** GET /v2.0/agents is for admins: others see a note, and the page does not ask (a 403 would be a console error). */
  readonly admin: boolean;
}
let session: Session | undefined;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The NeutronError body's message (or Keystone's), else the status line. */
function errorOf(status: number, statusText: string, body: unknown, text: string): ApiError {
  const neutron = isRecord(body) ? body['NeutronError'] : undefined;
  if (isRecord(neutron) && typeof neutron['message'] === 'string') {
    return new ApiError(status, typeof neutron['type'] === 'string' ? neutron['type'] : `HTTP ${status}`, neutron['message']);
  }
  return new ApiError(status, `HTTP ${status}`, text.trim() || statusText);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...session?.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = errorOf(response.status, response.statusText, json, text);
    if (response.status === 401 && path.startsWith('/v2.0')) loggedOut('Your token was refused (expired or revoked): log in again.');
    throw error;
  }
  return json as T;
}

const fieldsQuery = (fields: readonly string[]): string => fields.map((f) => `fields=${encodeURIComponent(f)}`).join('&');

async function list<T>(collection: string, fields: readonly string[]): Promise<T[]> {
  const body = await call<Record<string, T[]>>('GET', `/v2.0/${collection}?${fieldsQuery(fields)}`);
  return body[collection.replace(/-/g, '_')] ?? [];
}

// ------------------------------------------------------------------ state

interface Snapshot {
  networks: Network[];
  subnets: Subnet[];
  ports: Port[];
  routers: Router[];
}

let snapshot: Snapshot = { networks: [], subnets: [], ports: [], routers: [] };
/** Routers are listed only when the API has them (the `router` extension, from the router service plugin). */
let routersServed = false;
const folded = new Set<string>();
let selected: string | undefined;

const NETWORK_FIELDS = ['id', 'name', 'status', 'shared', 'router:external', 'subnets'];
const SUBNET_FIELDS = ['id', 'name', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'enable_dhcp'];
const PORT_FIELDS = ['id', 'name', 'network_id', 'device_owner', 'device_id', 'status', 'mac_address', 'fixed_ips', 'binding:host_id'];
const ROUTER_FIELDS = ['id', 'name', 'status', 'external_gateway_info'];

async function readSnapshot(): Promise<Snapshot> {
  const routers = routersServed ? list<Router>('routers', ROUTER_FIELDS) : Promise.resolve([]);
  const [networks, subnets, ports, routerList] = await Promise.all([
    list<Network>('networks', NETWORK_FIELDS),
    list<Subnet>('subnets', SUBNET_FIELDS),
    list<Port>('ports', PORT_FIELDS),
    routers,
  ]);
  return { networks, subnets, ports, routers: routerList };
}

// -------------------------------------------------------- graph elements

type PortRole = 'compute' | 'dhcp' | 'router' | 'gateway' | 'other';

function roleOf(port: Port): PortRole {
  const owner = port.device_owner;
  if (owner.startsWith('compute:')) return 'compute';
  if (owner === 'network:dhcp') return 'dhcp';
  if (owner === 'network:router_gateway') return 'gateway';
  if (owner.startsWith('network:router_interface') || owner === 'network:ha_router_replicated_interface') return 'router';
  return 'other';
}

const short = (id: string): string => id.slice(0, 8);
const nameOr = (name: string | undefined, id: string): string => (name && name.trim() !== '' ? name : short(id));

function portLabel(port: Port): string {
  const ip = port.fixed_ips[0]?.ip_address ?? '';
  switch (roleOf(port)) {
    case 'dhcp':
      return ip ? `DHCP\n${ip}` : 'DHCP';
    case 'router':
    case 'gateway':
      return ip || 'router';
    default:
      return ip || nameOr(port.name, port.id);
  }
}

/** The snapshot as cytoscape elements: parents before children, nodes before edges. Each carries a `sig` to tell a change. */
function elementsOf(s: Snapshot): ElementDefinition[] {
  const networks = new Map(s.networks.map((n) => [n.id, n]));
  const routers = new Map(s.routers.map((r) => [r.id, r]));
  const nodes: ElementDefinition[] = [];
  const edges: ElementDefinition[] = [];
  const portsOf = new Map<string, Port[]>();
  for (const port of s.ports) {
    if (!networks.has(port.network_id)) continue; // a port on a network this user cannot see
    const ports = portsOf.get(port.network_id) ?? [];
    ports.push(port);
    portsOf.set(port.network_id, ports);
  }
  for (const net of s.networks) {
    const ports = portsOf.get(net.id) ?? [];
    const isFolded = folded.has(net.id);
    const label = `${nameOr(net.name, net.id)}${isFolded ? `  (${ports.length} ports folded)` : ''}`;
    const search = [net.name, net.id].join(' ');
    nodes.push(node(`net:${net.id}`, { kind: 'network', label, external: net['router:external'] === true, shared: net.shared === true, status: net.status, search }));
  }
  for (const sub of s.subnets) {
    if (!networks.has(sub.network_id)) continue;
    const label = `${sub.name ? `${sub.name} ` : ''}${sub.cidr}`;
    nodes.push(node(`sub:${sub.id}`, { kind: 'subnet', parent: `net:${sub.network_id}`, label, search: [sub.name, sub.id, sub.cidr, sub.gateway_ip ?? ''].join(' ') }));
  }
  const instances = new Map<string, { ports: Port[] }>();
  const routerNodes = new Set<string>();
  for (const [netId, ports] of portsOf) {
    if (folded.has(netId)) {
      // A folded network's routers join the network itself.
      for (const port of ports) {
        const role = roleOf(port);
        if ((role === 'router' || role === 'gateway') && port.device_id) {
          routerNodes.add(port.device_id);
          edges.push(edge(`rtr:${port.device_id}`, `net:${netId}`, role));
        }
      }
      continue;
    }
    for (const port of ports) {
      const role = roleOf(port);
      const search = [port.name, port.id, port.mac_address, port.device_id, port.device_owner, port['binding:host_id'] ?? '', ...port.fixed_ips.map((ip) => ip.ip_address)].join(' ');
      nodes.push(node(`port:${port.id}`, { kind: 'port', role, parent: `net:${netId}`, label: portLabel(port), status: port.status, search }));
      if (role === 'compute' && port.device_id) {
        const instance = instances.get(port.device_id) ?? { ports: [] };
        instance.ports.push(port);
        instances.set(port.device_id, instance);
        edges.push(edge(`port:${port.id}`, `vm:${port.device_id}`, 'attach'));
      } else if ((role === 'router' || role === 'gateway') && port.device_id) {
        routerNodes.add(port.device_id);
        edges.push(edge(`rtr:${port.device_id}`, `port:${port.id}`, role));
      }
    }
  }
  for (const router of s.routers) routerNodes.add(router.id);
  for (const id of routerNodes) {
    const router = routers.get(id);
    nodes.push(node(`rtr:${id}`, { kind: 'router', label: router ? nameOr(router.name, id) : `router ${short(id)}`, status: router?.status ?? '', search: [router?.name ?? '', id].join(' ') }));
    // A gateway whose port this user cannot see (it belongs to the admin): join the router to the external network itself.
    const gateway = router?.external_gateway_info?.network_id;
    if (gateway && networks.has(gateway) && !s.ports.some((p) => p.device_id === id && roleOf(p) === 'gateway')) {
      edges.push(edge(`rtr:${id}`, `net:${gateway}`, 'gateway'));
    }
  }
  for (const [id, instance] of instances) {
    const hosts = [...new Set(instance.ports.map((p) => p['binding:host_id'] ?? '').filter(Boolean))];
    // An instance on one network sits in that network's box, under its port; one on several sits between them.
    const nets = new Set(instance.ports.map((p) => p.network_id));
    const parent = nets.size === 1 ? { parent: `net:${[...nets][0]}` } : {};
    nodes.push(node(`vm:${id}`, { kind: 'instance', label: `VM ${short(id)}`, ...parent, search: [id, ...hosts].join(' ') }));
  }
  // Two interfaces of one router on a folded network are one link.
  return [...nodes, ...new Map(edges.map((e) => [String(e.data.id), e])).values()];
}

function node(id: string, data: Record<string, unknown>): ElementDefinition {
  const full = { id, ...data };
  return { group: 'nodes', data: { ...full, sig: JSON.stringify(full) } };
}

function edge(source: string, target: string, kind: string): ElementDefinition {
  const data = { id: `${source}>${target}`, source, target, kind };
  return { group: 'edges', data: { ...data, sig: JSON.stringify(data) } };
}

// ------------------------------------------------------------ the graph

const COLORS = { network: '#2563eb', external: '#0891b2', subnet: '#60a5fa', router: '#7c3aed', instance: '#0f766e' };

const style: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 10,
      'text-wrap': 'wrap',
      'min-zoomed-font-size': 7,
      color: '#1f2933',
      'text-valign': 'bottom',
      'text-margin-y': 3,
    },
  },
  {
    selector: 'node[kind = "network"]',
    style: {
      shape: 'round-rectangle',
      'background-color': '#eef4ff',
      'background-opacity': 0.85,
      'border-width': 2,
      'border-color': COLORS.network,
      'text-valign': 'top',
      'text-halign': 'center',
      'text-margin-y': -6,
      'font-size': 13,
      'font-weight': 'bold',
      color: '#1e3a8a',
      padding: '18px',
      'min-width': '140px',
      'min-height': '40px',
    },
  },
  { selector: 'node[kind = "network"]:childless', style: { width: 140, height: 44, 'text-valign': 'center', 'text-margin-y': 0 } },
  { selector: 'node[kind = "network"][?external]', style: { 'border-color': COLORS.external, 'background-color': '#ecfeff', color: '#155e75' } },
  { selector: 'node[kind = "network"][?shared]', style: { 'border-style': 'dashed' } },
  {
    selector: 'node[kind = "subnet"]',
    style: {
      shape: 'round-rectangle',
      width: 118,
      height: 22,
      'background-color': '#dbeafe',
      'border-width': 1,
      'border-color': COLORS.subnet,
      'text-valign': 'center',
      'text-margin-y': 0,
      'font-size': 10,
      color: '#1e40af',
    },
  },
  {
    selector: 'node[kind = "port"]',
    style: { shape: 'ellipse', width: 18, height: 18, 'background-color': '#ffffff', 'border-width': 3, 'border-color': '#9ca3af', 'font-size': 9, color: '#374151', 'text-valign': 'top', 'text-margin-y': -3 },
  },
  { selector: 'node[kind = "port"][status = "ACTIVE"]', style: { 'border-color': '#16a34a' } },
  { selector: 'node[kind = "port"][status = "BUILD"]', style: { 'border-color': '#d97706' } },
  { selector: 'node[kind = "port"][status = "ERROR"]', style: { 'border-color': '#dc2626' } },
  { selector: 'node[kind = "port"][role = "dhcp"]', style: { 'background-color': '#fef3c7', shape: 'diamond', width: 20, height: 20 } },
  { selector: 'node[kind = "port"][role = "router"], node[kind = "port"][role = "gateway"]', style: { 'background-color': '#ede9fe' } },
  {
    selector: 'node[kind = "router"]',
    style: { shape: 'ellipse', width: 34, height: 34, 'background-color': COLORS.router, 'font-weight': 'bold', 'font-size': 11, color: '#4c1d95', 'text-valign': 'top', 'text-margin-y': -4 },
  },
  {
    selector: 'node[kind = "instance"]',
    style: { shape: 'round-rectangle', width: 30, height: 22, 'background-color': COLORS.instance, 'font-size': 9, color: '#134e4a' },
  },
  { selector: 'node[kind = "network"][labelSize], node[kind = "router"][labelSize]', style: { 'font-size': 'data(labelSize)', 'min-zoomed-font-size': 0 } },
  { selector: 'edge', style: { width: 1.5, 'line-color': '#94a3b8', 'curve-style': 'bezier', opacity: 0.8 } },
  { selector: 'edge[kind = "router"], edge[kind = "gateway"]', style: { 'line-color': '#a78bfa', width: 2.5 } },
  { selector: 'edge[kind = "gateway"]', style: { 'line-style': 'dashed' } },
  { selector: ':selected', style: { 'overlay-color': '#2563eb', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
  { selector: '.match', style: { 'underlay-color': '#facc15', 'underlay-opacity': 0.7, 'underlay-padding': 6 } },
  { selector: '.faded', style: { opacity: 0.14 } },
  { selector: '.filtered', style: { display: 'none' } },
];

const PORT_STEP_X = 64;
const PORT_STEP_Y = 46;
/** A row of ports with instances under them is taller: each instance sits right below its port. */
const PORT_WITH_INSTANCE_STEP_Y = 94;
const INSTANCE_OFFSET_Y = 38;
const NETWORK_GAP = 150;
const ROUTER_BAND = 170;
const ROW_GAP = 150;

interface Block {
  readonly net: NodeSingular;
  readonly columns: number;
  readonly width: number;
  readonly height: number;
  x: number;
  y: number;
}

/**
 * Positions, computed rather than simulated, so they are the same on every
 * redraw: networks side by side (external ones first, wrapped into rows when
 * there are many), each with its subnets in a row and its ports in a grid,
 * each instance right under its port; routers in a band above the networks
 * they join; instances on several networks in a band below them.
 */
function layout(cy: Core): void {
  const networks = cy
    .nodes('[kind = "network"]')
    .sort((a, b) => Number(b.data('external')) - Number(a.data('external')) || String(a.data('label')).localeCompare(String(b.data('label'))));
  const blocks: Block[] = [];
  const place: (() => void)[] = [];
  networks.forEach((net) => {
    const ports: NodeSingular[] = net.children('[kind = "port"]').toArray();
    ports.sort((a, b) => roleOrder(a) - roleOrder(b) || String(a.data('label')).localeCompare(String(b.data('label')), undefined, { numeric: true }));
    const subnets: NodeSingular[] = net.children('[kind = "subnet"]').toArray();
    const instances: NodeSingular[] = net.children('[kind = "instance"]').toArray();
    const columns = Math.max(2, Math.min(24, Math.ceil(Math.sqrt(ports.length * 1.4))), subnets.length * 2);
    const stepY = instances.length > 0 ? PORT_WITH_INSTANCE_STEP_Y : PORT_STEP_Y;
    const perRow = Math.max(1, Math.floor(columns / 2));
    const top = subnets.length > 0 ? Math.ceil(subnets.length / perRow) * 30 + 30 : 0;
    const portRows = Math.ceil(ports.length / columns);
    const block: Block = {
      net,
      columns,
      width: Math.max((columns - 1) * PORT_STEP_X, 120),
      height: top + Math.max(0, portRows - 1) * stepY + (instances.length > 0 ? INSTANCE_OFFSET_Y : 0),
      x: 0,
      y: 0,
    };
    blocks.push(block);
    place.push(() => {
      const { x, y } = block;
      subnets.forEach((sub, i) => void sub.position({ x: x + (i % perRow) * 130 + 59, y: y + Math.floor(i / perRow) * 30 }));
      const at = new Map<string, { x: number; y: number }>();
      ports.forEach((port, i) => {
        const position = { x: x + (i % columns) * PORT_STEP_X, y: y + top + Math.floor(i / columns) * stepY };
        at.set(port.id(), position);
        port.position(position);
      });
      for (const vm of instances) {
        const port = at.get(firstPortOf(vm)?.id() ?? '') ?? { x, y: y + top };
        vm.position({ x: port.x, y: port.y + INSTANCE_OFFSET_Y });
      }
      if (net.isChildless()) net.position({ x: x + 60, y });
    });
  });

  // Rows no wider than about twice their height, so that Fit shows them at a readable size.
  const area = blocks.reduce((sum, b) => sum + (b.width + NETWORK_GAP) * (b.height + ROUTER_BAND + ROW_GAP), 0);
  const maxRowWidth = Math.max(1400, Math.sqrt(area * 2.2));
  const rows: Block[][] = [];
  let rowWidth = Infinity;
  for (const block of blocks) {
    if (rowWidth + block.width > maxRowWidth) {
      rows.push([]);
      rowWidth = 0;
    }
    rows.at(-1)?.push(block);
    rowWidth += block.width + NETWORK_GAP;
  }
  const rowOf = new Map<string, number>();
  const rowBottom: number[] = [];
  let y = 0;
  rows.forEach((row, r) => {
    let x = 0;
    for (const block of row) {
      Object.assign(block, { x, y });
      rowOf.set(block.net.id(), r);
      x += block.width + NETWORK_GAP;
    }
    const height = Math.max(...row.map((b) => b.height));
    rowBottom.push(y + height);
    y += height + ROW_GAP + ROUTER_BAND;
  });
  const blockOf = new Map(blocks.map((b) => [b.net.id(), b]));
  const networkOf = (n: NodeSingular): string => (n.data('kind') === 'network' ? n.id() : n.parent().first().id());

  cy.batch(() => {
    for (const step of place) step();

    // Routers above the first row they join, at the middle of the networks they join there, pushed apart when they meet.
    const routerRows = new Map<number, { node: NodeSingular; x: number }[]>();
    cy.nodes('[kind = "router"]').forEach((router) => {
      const joined = router.neighborhood().nodes().map((n: NodeSingular) => blockOf.get(networkOf(n))).filter((b) => b !== undefined);
      const row = joined.length > 0 ? Math.min(...joined.map((b) => rowOf.get(b.net.id()) ?? 0)) : 0;
      const here = joined.filter((b) => rowOf.get(b.net.id()) === row);
      const x = here.length > 0 ? here.reduce((sum, b) => sum + b.x + b.width / 2, 0) / here.length : 0;
      routerRows.set(row, [...(routerRows.get(row) ?? []), { node: router, x }]);
    });
    for (const [row, routers] of routerRows) spread(routers, (rows[row]?.[0]?.y ?? 0) - ROUTER_BAND, 110);

    // Instances on several networks: below the first row they join, at the middle of their ports.
    const loose = new Map<number, { node: NodeSingular; x: number }[]>();
    cy.nodes('[kind = "instance"]')
      .orphans()
      .forEach((vm) => {
        const ports: NodeSingular[] = vm.incomers().nodes().toArray();
        const row = Math.min(...ports.map((p) => rowOf.get(networkOf(p)) ?? 0));
        const x = ports.reduce((sum, p) => sum + p.position('x'), 0) / Math.max(1, ports.length);
        loose.set(row, [...(loose.get(row) ?? []), { node: vm, x }]);
      });
    for (const [row, instances] of loose) spread(instances, (rowBottom[row] ?? 0) + 90, 70);
  });
}

/** Puts nodes on one line at their wanted x, sorted, at least `gap` apart. */
function spread(items: { node: NodeSingular; x: number }[], y: number, gap: number): void {
  items.sort((a, b) => a.x - b.x || a.node.id().localeCompare(b.node.id()));
  let last = -Infinity;
  for (const { node: n, x } of items) {
    const at = Math.max(x, last + gap);
    n.position({ x: at, y });
    last = at;
  }
}

/** An instance's first port (by id, so that it stays the same between polls). */
function firstPortOf(vm: NodeSingular): NodeSingular | undefined {
  const ports: NodeSingular[] = vm.incomers().nodes('[kind = "port"]').toArray();
  return ports.sort((a, b) => a.id().localeCompare(b.id()))[0];
}

function roleOrder(n: NodeSingular): number {
  return ['router', 'gateway', 'dhcp', 'compute', 'other'].indexOf(String(n.data('role')));
}


let cy: Core;
let firstDraw = true;

/**
 * Brings the graph to `defs`, touching only what changed: elements that came
 * or went, or whose data changed. The layout runs again only when elements
 * came, went, moved or were renamed (a status change only restyles one node).
 */
function apply(defs: ElementDefinition[]): void {
  const wanted = new Map(defs.map((d) => [String(d.data.id), d]));
  let structural = false;
  const touched = new Set<string>();
  cy.batch(() => {
    const gone = cy.elements().filter((el) => !wanted.has(el.id()));
    if (gone.nonempty()) {
      gone.forEach((el) => void touched.add(el.id()));
      gone.remove();
      structural = true;
    }
    for (const def of defs) {
      const id = String(def.data.id);
      const el = cy.getElementById(id);
      if (el.empty()) {
        cy.add(def);
        structural = true;
      } else if (el.data('sig') !== def.data['sig']) {
        if (el.isNode() && (el.data('parent') ?? undefined) !== def.data.parent) {
          el.move({ parent: def.data.parent ?? null });
          structural = true;
        }
        if (el.data('label') !== def.data['label']) structural = true;
        el.data(def.data);
        touched.add(id);
      }
    }
  });
  if (structural) {
    layout(cy);
    scaleLabels();
  }
  if (structural && firstDraw && cy.nodes().nonempty()) {
    cy.fit(undefined, 40);
    if (cy.zoom() > 1.4) cy.zoom(1.4).center();
    scaleLabels();
    firstDraw = false;
  }
  applySearch();
  // The details follow what they show: a port that went ACTIVE, a network that gained a port, or one deleted elsewhere.
  if (selected !== undefined && (touched.has(selected) || structural)) {
    if (cy.getElementById(selected).empty()) {
      selected = undefined;
      showDetails('<p class="muted">It was deleted.</p>');
    } else {
      describe(selected).catch(showError);
    }
  }
}

/** Network names at 13 px and router names at 11 px on screen, from zoom 1 outwards (through their `labelSize`). */
function scaleLabels(): void {
  const factor = 1 / Math.min(1, cy.zoom());
  cy.batch(() => {
    cy.nodes('[kind = "network"]').data('labelSize', 13 * factor);
    cy.nodes('[kind = "router"]').data('labelSize', 11 * factor);
  });
}

// --------------------------------------------------------------- search

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

function applySearch(): void {
  const term = $<HTMLInputElement>('search').value.trim().toLowerCase();
  const only = $<HTMLInputElement>('only-matches').checked;
  cy.batch(() => {
    cy.elements().removeClass('match faded filtered');
    if (term === '') return;
    const matches = cy.nodes().filter((n) => String(n.data('search')).toLowerCase().includes(term) || String(n.data('label')).toLowerCase().includes(term));
    matches.addClass('match');
    // Keep what gives a match its place: its network, its edges and what they join.
    const keep = matches.union(matches.parents()).union(matches.connectedEdges()).union(matches.connectedEdges().connectedNodes());
    const keepAll = keep.union(keep.parents());
    cy.elements().not(keepAll).addClass(only ? 'filtered' : 'faded');
  });
}

// -------------------------------------------------------------- panels

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const badge = (text: string, kind = text): string => `<span class="badge ${esc(kind)}">${esc(text)}</span>`;

function rows(pairs: [string, string][]): string {
  return `<dl>${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function showDetails(html: string): void {
  $('details').innerHTML = `<h2>Details</h2>${html}`;
}

/** A delete button that asks once more before it calls the API. */
function deleteButton(label: string, path: string): string {
  return `<div class="actions"><button class="danger" data-delete="${esc(path)}">${esc(label)}</button></div>`;
}

let securityGroups = new Map<string, string>();
let securityGroupsServed = false;

async function describe(id: string): Promise<void> {
  const [kind, key = ''] = id.split(/:(.*)/s);
  if (kind === 'net') {
    const net = snapshot.networks.find((n) => n.id === key);
    if (!net) return;
    const subnets = snapshot.subnets.filter((s) => s.network_id === key);
    const ports = snapshot.ports.filter((p) => p.network_id === key);
    showDetails(
      `<span class="kind">network</span><h3>${esc(nameOr(net.name, net.id))}</h3>` +
        rows([
          ['id', `<code>${esc(net.id)}</code>`],
          ['status', badge(net.status)],
          ['shared', net.shared ? 'yes' : 'no'],
          ['external', net['router:external'] ? 'yes' : 'no'],
          ['subnets', subnets.map((s) => `<code>${esc(s.cidr)}</code>`).join(' ') || '—'],
          ['ports', String(ports.length)],
          ['bridge', `<code>brq${esc(net.id.slice(0, 11))}</code> (Linux bridge agent)`],
          ['DHCP', ports.some((p) => roleOf(p) === 'dhcp') ? `namespace <code>qdhcp-${esc(net.id)}</code>` : '—'],
        ]) +
        `<p class="muted">Double-click the network to ${folded.has(key) ? 'unfold' : 'fold'} its ports.</p>` +
        deleteButton('Delete network', `/v2.0/networks/${key}`),
    );
  } else if (kind === 'sub') {
    const sub = snapshot.subnets.find((s) => s.id === key);
    if (!sub) return;
    showDetails(
      `<span class="kind">subnet</span><h3>${esc(sub.name || sub.cidr)}</h3>` +
        rows([
          ['id', `<code>${esc(sub.id)}</code>`],
          ['CIDR', `<code>${esc(sub.cidr)}</code>`],
          ['IP version', String(sub.ip_version)],
          ['gateway', esc(sub.gateway_ip ?? '—')],
          ['DHCP', sub.enable_dhcp ? 'enabled' : 'disabled'],
        ]) + deleteButton('Delete subnet', `/v2.0/subnets/${key}`),
    );
  } else if (kind === 'port') {
    showDetails('<span class="kind">port</span><p class="muted">loading…</p>');
    const { port } = await call<{ port: Port }>('GET', `/v2.0/ports/${key}`);
    const net = snapshot.networks.find((n) => n.id === port.network_id);
    const groups = (port.security_groups ?? []).map((g) => securityGroups.get(g) ?? short(g));
    if (selected !== id) return;
    showDetails(
      `<span class="kind">port · ${esc(port.device_owner || 'unowned')}</span><h3>${esc(nameOr(port.name, port.id))}</h3>` +
        rows([
          ['id', `<code>${esc(port.id)}</code>`],
          ['status', badge(port.status)],
          ['network', esc(net ? nameOr(net.name, net.id) : port.network_id)],
          ['addresses', port.fixed_ips.map((ip) => `<code>${esc(ip.ip_address)}</code>`).join(' ') || '—'],
          ['MAC', `<code>${esc(port.mac_address)}</code>`],
          ['device', port.device_id ? `<code>${esc(port.device_id)}</code>` : '—'],
          ['security groups', groups.map((g) => esc(g)).join(', ') || '—'],
        ]) +
        `<h2>Path</h2>${pathOf(port)}` +
        deleteButton('Delete port', `/v2.0/ports/${key}`),
    );
  } else if (kind === 'rtr') {
    const router = snapshot.routers.find((r) => r.id === key);
    const ports = snapshot.ports.filter((p) => p.device_id === key);
    showDetails(
      `<span class="kind">router</span><h3>${esc(router ? nameOr(router.name, key) : short(key))}</h3>` +
        rows([
          ['id', `<code>${esc(key)}</code>`],
          ['status', router ? badge(router.status) : '—'],
          ['namespace', `<code>qrouter-${esc(key)}</code>`],
          ['interfaces', ports.map((p) => `<code>${esc(p.fixed_ips[0]?.ip_address ?? short(p.id))}</code>`).join(' ') || '—'],
        ]),
    );
  } else if (kind === 'vm') {
    const ports = snapshot.ports.filter((p) => p.device_id === key);
    showDetails(
      `<span class="kind">instance</span><h3>${esc(short(key))}</h3>` +
        rows([
          ['device id', `<code>${esc(key)}</code>`],
          ['host', esc([...new Set(ports.map((p) => p['binding:host_id'] || '—'))].join(', '))],
        ]) +
        `<table><tr><th>port</th><th>network</th><th>address</th></tr>${ports
          .map((p) => {
            const net = snapshot.networks.find((n) => n.id === p.network_id);
            return `<tr><td><code>${esc(short(p.id))}</code></td><td>${esc(net ? nameOr(net.name, net.id) : short(p.network_id))}</td><td>${esc(p.fixed_ips.map((ip) => ip.ip_address).join(' '))}</td></tr>`;
          })
          .join('')}</table>`,
    );
  }
}

/** Where a port's packets go, as the agents name the devices (src/agents/l2/names.ts, src/agents/dhcp/interfacePlan.ts). */
function pathOf(port: Port): string {
  const id11 = port.id.slice(0, 11);
  const host = port['binding:host_id'] || '';
  const vif = port['binding:vif_type'] ?? 'unbound';
  const details = port['binding:vif_details'] ?? {};
  const code = (name: string): string => `<code>${esc(name)}</code>`;
  const role = roleOf(port);
  // The namespace end of a DHCP or router port, and the device's name where the agent wires it.
  const namespace = role === 'dhcp' ? `qdhcp-${port.network_id}` : role === 'router' || role === 'gateway' ? `qrouter-${port.device_id}` : undefined;
  const inside = role === 'dhcp' ? `ns-${id11}` : role === 'router' ? `qr-${id11}` : role === 'gateway' ? `qg-${id11}` : undefined;
  const steps: [string, string][] = [];
  if (role === 'compute') steps.push([`instance ${code(short(port.device_id))}`, 'its virtual NIC']);
  if (vif === 'bridge') {
    if (namespace && inside) steps.push([`${code(inside)} in ${code(namespace)}`, role === 'dhcp' ? "dnsmasq's end of a veth pair" : "the router's end of a veth pair"]);
    steps.push([code(`tap${id11}`), "the port's device on the host"]);
    steps.push([code(`brq${port.network_id.slice(0, 11)}`), "the network's Linux bridge"]);
  } else if (vif === 'ovs') {
    const bridge = typeof details['bridge_name'] === 'string' ? details['bridge_name'] : 'br-int';
    if (details['ovs_hybrid_plug'] === true) {
      steps.push([`${code(`tap${id11}`)} in ${code(`qbr${id11}`)}`, "the port's device, in its firewall bridge (iptables_hybrid)"]);
      steps.push([`${code(`qvb${id11}`)} ↔ ${code(`qvo${id11}`)}`, 'the veth pair to Open vSwitch']);
    } else {
      const device = role === 'router' || role === 'gateway' ? (inside ?? `tap${id11}`) : `tap${id11}`;
      steps.push([namespace ? `${code(device)} in ${code(namespace)}` : code(device), 'an Open vSwitch port']);
    }
    steps.push([code(bridge), 'the integration bridge']);
  } else {
    if (namespace && inside) steps.push([`${code(inside)} in ${code(namespace)}`, 'its end in the namespace']);
    steps.push([code(`tap${id11}`), vif === 'binding_failed' ? 'binding failed: no live agent on the host could bind it' : 'not bound: no device is wired yet']);
  }
  const head = rows([
    ['host', host ? esc(host) : '— (unbound)'],
    ['vif_type', code(vif)],
  ]);
  return `${head}<ol class="path">${steps.map(([what, why]) => `<li>${what}<small>${esc(why)}</small></li>`).join('')}</ol>`;
}

async function refreshAgents(): Promise<void> {
  let html: string;
  if (!session?.admin) {
    $('agents').innerHTML = '<h2>Agents</h2><p class="muted">Agents and their liveness are shown to administrators only (GET /v2.0/agents needs the admin role).</p>';
    return;
  }
  try {
    const agents = await list<Agent>('agents', ['id', 'agent_type', 'host', 'alive', 'admin_state_up', 'binary', 'heartbeat_timestamp']);
    agents.sort((a, b) => a.host.localeCompare(b.host) || a.agent_type.localeCompare(b.agent_type));
    html =
      agents.length === 0
        ? '<p class="muted">No agent has reported yet.</p>'
        : `<table><tr><th>agent</th><th>host</th><th>state</th></tr>${agents
            .map(
              (a) =>
                `<tr><td>${esc(a.agent_type)}</td><td>${esc(a.host)}</td><td>${a.alive ? badge('alive') : badge('dead')}${a.admin_state_up ? '' : ' ' + badge('disabled', 'DOWN')}</td></tr>`,
            )
            .join('')}</table>`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    html =
      error.status === 403 || error.status === 404
        ? '<p class="muted">Agents are shown to administrators only (GET /v2.0/agents needs the admin role).</p>'
        : `<p class="muted">${esc(error.message)}</p>`;
  }
  $('agents').innerHTML = `<h2>Agents</h2>${html}`;
}

async function refreshSecurityGroups(): Promise<void> {
  if (!securityGroupsServed) return;
  try {
    const groups = await list<SecurityGroup>('security-groups', ['id', 'name']);
    securityGroups = new Map(groups.map((g) => [g.id, g.name]));
  } catch {
    // Without security groups (the extension off) ports show their ids.
  }
}

// ------------------------------------------------------------ messages

let errorTimer: ReturnType<typeof setTimeout> | undefined;

function showError(error: unknown): void {
  const box = $('error');
  box.textContent = error instanceof ApiError ? `${error.type}: ${error.message}` : error instanceof Error ? error.message : String(error);
  box.hidden = false;
  if (errorTimer) clearTimeout(errorTimer);
  errorTimer = setTimeout(() => (box.hidden = true), 8000);
}

// --------------------------------------------------------------- polling

let pollTimer: ReturnType<typeof setTimeout> | undefined;
let polls = 0;

async function poll(): Promise<void> {
  if (!session) return;
  // A page nobody looks at does not poll; it catches up as soon as it is shown again.
  if (document.hidden) {
    pollTimer = setTimeout(() => void poll(), POLL_MS);
    return;
  }
  const dot = $('live-dot');
  try {
    snapshot = await readSnapshot();
    apply(elementsOf(snapshot));
    if (polls % 4 === 0) await Promise.all([refreshAgents(), refreshSecurityGroups()]);
    polls += 1;
    dot.className = 'live';
    $('status-text').textContent =
      `${snapshot.networks.length} networks · ${snapshot.subnets.length} subnets · ${snapshot.ports.length} ports` +
      `${routersServed ? ` · ${snapshot.routers.length} routers` : ''} · live, ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    dot.className = 'stale';
    $('status-text').textContent = `not updated: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (session) pollTimer = setTimeout(() => void poll(), POLL_MS);
}

/** Polls now (after a change made here) rather than at the next tick. */
function pollSoon(): void {
  if (pollTimer) clearTimeout(pollTimer);
  void poll();
}

// ---------------------------------------------------------- create forms

type Field = { name: string; label: string; kind: 'text' | 'checkbox' | 'network'; value?: string; required?: boolean; placeholder?: string };

const FORMS: Record<'network' | 'subnet' | 'port', { title: string; fields: Field[]; body: (f: FormData) => [string, unknown] }> = {
  network: {
    title: 'Create a network',
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true, placeholder: 'private' },
      { name: 'shared', label: 'Shared with every project', kind: 'checkbox' },
    ],
    body: (f) => ['/v2.0/networks', { network: { name: text(f, 'name'), ...(f.get('shared') ? { shared: true } : {}) } }],
  },
  subnet: {
    title: 'Create a subnet',
    fields: [
      { name: 'network_id', label: 'Network', kind: 'network' },
      { name: 'cidr', label: 'CIDR', kind: 'text', required: true, placeholder: '10.0.0.0/24' },
      { name: 'name', label: 'Name', kind: 'text', placeholder: 'optional' },
      { name: 'enable_dhcp', label: 'DHCP', kind: 'checkbox', value: 'on' },
    ],
    body: (f) => {
      const cidr = text(f, 'cidr');
      const subnet = { network_id: text(f, 'network_id'), cidr, ip_version: cidr.includes(':') ? 6 : 4, enable_dhcp: f.get('enable_dhcp') !== null, ...(text(f, 'name') ? { name: text(f, 'name') } : {}) };
      return ['/v2.0/subnets', { subnet }];
    },
  },
  port: {
    title: 'Create a port',
    fields: [
      { name: 'network_id', label: 'Network', kind: 'network' },
      { name: 'name', label: 'Name', kind: 'text', placeholder: 'optional' },
      { name: 'device_id', label: 'Device id', kind: 'text', placeholder: 'optional: an instance id' },
    ],
    body: (f) => {
      const port = { network_id: text(f, 'network_id'), ...(text(f, 'name') ? { name: text(f, 'name') } : {}), ...(text(f, 'device_id') ? { device_id: text(f, 'device_id'), device_owner: 'compute:nova' } : {}) };
      return ['/v2.0/ports', { port }];
    },
  },
};

const text = (f: FormData, name: string): string => String(f.get(name) ?? '').trim();

let creating: keyof typeof FORMS = 'network';

function openCreate(kind: keyof typeof FORMS): void {
  creating = kind;
  const form = FORMS[kind];
  const preferredNetwork = selected?.startsWith('net:') ? selected.slice(4) : (snapshot.ports.find((p) => `port:${p.id}` === selected)?.network_id ?? '');
  $('create-title').textContent = form.title;
  $('create-fields').innerHTML = form.fields
    .map((field) => {
      if (field.kind === 'checkbox') return `<label class="check"><input type="checkbox" name="${field.name}"${field.value ? ' checked' : ''}> ${esc(field.label)}</label>`;
      if (field.kind === 'network') {
        const options = snapshot.networks
          .map((n) => `<option value="${esc(n.id)}"${n.id === preferredNetwork ? ' selected' : ''}>${esc(nameOr(n.name, n.id))} (${esc(short(n.id))})</option>`)
          .join('');
        return `<label>${esc(field.label)} <select name="${field.name}" required>${options}</select></label>`;
      }
      return `<label>${esc(field.label)} <input name="${field.name}"${field.required ? ' required' : ''} placeholder="${esc(field.placeholder ?? '')}"></label>`;
    })
    .join('');
  const error = $('create').querySelector<HTMLElement>('.form-error');
  if (error) error.hidden = true;
  $<HTMLDialogElement>('create').showModal();
}

async function submitCreate(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const formElement = event.target as HTMLFormElement;
  const [path, body] = FORMS[creating].body(new FormData(formElement));
  const error = formElement.querySelector<HTMLElement>('.form-error');
  try {
    const created = await call<Record<string, { id: string }>>('POST', path, body);
    $<HTMLDialogElement>('create').close();
    const item = Object.values(created)[0];
    if (item) selected = `${{ network: 'net', subnet: 'sub', port: 'port' }[creating]}:${item.id}`;
    pollSoon();
  } catch (err) {
    if (error) {
      error.textContent = err instanceof ApiError ? `${err.type}: ${err.message}` : String(err);
      error.hidden = false;
    }
  }
}

async function onDeleteClick(button: HTMLButtonElement): Promise<void> {
  if (!button.classList.contains('armed')) {
    button.classList.add('armed');
    button.dataset['label'] = button.textContent ?? '';
    button.textContent = 'Click again to delete';
    setTimeout(() => {
      button.classList.remove('armed');
      button.textContent = button.dataset['label'] ?? 'Delete';
    }, 4000);
    return;
  }
  const path = button.dataset['delete'];
  if (!path) return;
  try {
    await call('DELETE', path);
    selected = undefined;
    showDetails('<p class="muted">Deleted.</p>');
    pollSoon();
  } catch (error) {
    showError(error);
  }
}

// ---------------------------------------------------------- logging in

function loggedOut(reason?: string): void {
  session = undefined;
  if (pollTimer) clearTimeout(pollTimer);
  setControls(false);
  const dialog = $<HTMLDialogElement>('login');
  const error = dialog.querySelector<HTMLElement>('.form-error');
  if (error) {
    error.textContent = reason ?? '';
    error.hidden = !reason;
  }
  $('status-text').textContent = 'not logged in';
  $('live-dot').className = '';
  if (!dialog.open) dialog.showModal();
}

function setControls(on: boolean): void {
  for (const id of ['search', 'new-network', 'new-subnet', 'new-port', 'fit']) $<HTMLInputElement>(id).disabled = !on;
}

async function start(s: Session, canLogOut: boolean): Promise<void> {
  session = s;
  $('who').textContent = s.who;
  $('logout').hidden = !canLogOut;
  setControls(true);
  firstDraw = true;
  polls = 0;
  // What this server serves: routers only with the router plugin (asking otherwise would be a 404).
  const { extensions } = await call<{ extensions: { alias: string }[] }>('GET', '/v2.0/extensions');
  const aliases = new Set(extensions.map((e) => e.alias));
  routersServed = aliases.has('router');
  securityGroupsServed = aliases.has('security-group');
  await poll();
}

async function login(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const values = Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]));
  const error = form.querySelector<HTMLElement>('.form-error');
  try {
    const answer = await call<{ token: string; user: string; project?: { id: string; name: string }; roles: string[] }>('POST', '/ui/login', values);
    $<HTMLDialogElement>('login').close();
    const admin = answer.roles.includes('admin');
    await start({ headers: { 'x-auth-token': answer.token }, who: `${answer.user} · ${answer.project?.name ?? 'no project'}${admin ? ' (admin)' : ''}`, admin }, true);
  } catch (err) {
    if (error) {
      error.textContent = err instanceof ApiError ? err.message : String(err);
      error.hidden = false;
    }
  }
}

// ------------------------------------------------------------ start-up

async function main(): Promise<void> {
  cy = cytoscape({
    container: $('graph'),
    style,
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: true,
  });
  // For debugging in the browser's console, and for the browser test.
  Object.assign(window, { nucleon: { cy } });

  // Network and router names keep a readable size on screen however far out the view is zoomed (ports' and instances' labels hide instead).
  let scaling = false;
  cy.on('zoom', () => {
    if (scaling) return;
    scaling = true;
    requestAnimationFrame(() => {
      scaling = false;
      scaleLabels();
    });
  });

  cy.on('tap', 'node', (event) => {
    const id = (event.target as NodeSingular).id();
    selected = id;
    describe(id).catch(showError);
  });
  cy.on('tap', (event) => {
    if (event.target === cy) selected = undefined;
  });
  cy.on('dbltap', 'node[kind = "network"]', (event) => {
    const id = (event.target as NodeSingular).id().slice(4);
    if (folded.has(id)) folded.delete(id);
    else folded.add(id);
    apply(elementsOf(snapshot));
  });

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && session) pollSoon();
  });
  $('search').addEventListener('input', applySearch);
  $('search').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    const matches = cy.nodes('.match');
    if (matches.nonempty()) cy.animate({ fit: { eles: matches, padding: 80 }, duration: 300 });
  });
  $('only-matches').addEventListener('change', applySearch);
  $('fit').addEventListener('click', () => cy.animate({ fit: { eles: cy.elements(':visible'), padding: 40 }, duration: 300 }));
  $('new-network').addEventListener('click', () => openCreate('network'));
  $('new-subnet').addEventListener('click', () => openCreate('subnet'));
  $('new-port').addEventListener('click', () => openCreate('port'));
  $('create-cancel').addEventListener('click', () => $<HTMLDialogElement>('create').close());
  $('create-form').addEventListener('submit', (event) => void submitCreate(event as SubmitEvent));
  $('login-form').addEventListener('submit', (event) => void login(event as SubmitEvent));
  // Escape does not close the login: there is nothing to see behind it.
  $('login').addEventListener('cancel', (event) => event.preventDefault());
  $('logout').addEventListener('click', () => loggedOut());
  $('details').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-delete]');
    if (button) void onDeleteClick(button);
  });

  const config = await call<{ auth: 'noauth' | 'keystone' }>('GET', '/ui/config.json');
  if (config.auth === 'noauth') await start({ headers: {}, who: 'auth_strategy = noauth (admin)', admin: true }, false);
  else loggedOut();
}

main().catch(showError);
