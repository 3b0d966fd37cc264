/**
 * Open vSwitch through its own tools: `ovs-vsctl` for the database (bridges,
 * ports, interfaces: one transaction per call, however many commands) and
 * `ovs-ofctl` for the flow tables (one `--bundle`, so a table never shows a
 * half-applied change).
 *
 * Where OVS listens comes from Neutron's `[ovs] ovsdb_connection`
 * (`unix:/var/run/openvswitch/db.sock` by default, or `tcp:IP:PORT`). The
 * bridges' OpenFlow management sockets (`<bridge>.mgmt`) sit in OVS's run
 * directory, which is the database socket's directory when it is a Unix
 * socket, so a private OVS (a test's, or one per simulated host) is reached
 * by that one option.
 *
 * Flows are compared by `ovs-ofctl diff-flows`, which parses the desired
 * flows and the switch's with the same grammar; the desired flows are
 * written in the form OVS prints back under OpenFlow 1.4 (push_vlan and
 * set_field rather than mod_vlan_vid), so a right table shows no difference.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { runCommand } from './command.js';
import { LineMonitor } from './lineMonitor.js';

/** The OpenFlow version flows are written and read in (bundles need 1.4; the bridges also speak 1.0 and 1.3). */
const OPENFLOW = 'OpenFlow14';
export const BRIDGE_PROTOCOLS = 'OpenFlow10,OpenFlow13,OpenFlow14';
const DEFAULT_RUN_DIR = '/var/run/openvswitch';

export interface OvsInterface {
  readonly name: string;
  readonly type: string;
  /** -1 while OVS has not attached it (or failed to). */
  readonly ofport: number;
  readonly options: Readonly<Record<string, string>>;
  readonly externalIds: Readonly<Record<string, string>>;
}

export interface OvsPort {
  readonly name: string;
  /** The access VLAN, when set. */
  readonly tag: number | undefined;
  readonly otherConfig: Readonly<Record<string, string>>;
  readonly interfaces: readonly OvsInterface[];
}

export interface OvsBridge {
  readonly name: string;
  readonly datapathType: string;
  readonly failMode: string;
  readonly protocols: readonly string[];
  /** Without the bridge's own internal port. */
  readonly ports: readonly OvsPort[];
}

/** One flow-table difference, as `ovs-ofctl diff-flows` prints it (`+` missing on the switch, `-` only on the switch). */
export interface FlowDifference {
  readonly sign: '+' | '-';
  readonly flow: string;
}

type OvsdbValue = unknown;

/** OVSDB's JSON: ["set", [...]], ["map", [[k, v]...]], ["uuid", id], or an atom (a one-element set is its atom). */
function setOf(value: OvsdbValue): unknown[] {
  if (Array.isArray(value) && value[0] === 'set') return value[1] as unknown[];
  return [value];
}

function mapOf(value: OvsdbValue): Record<string, string> {
  if (!Array.isArray(value) || value[0] !== 'map') return {};
  return Object.fromEntries((value[1] as [string, string][]).map(([k, v]) => [String(k), String(v)]));
}

const uuidOf = (value: OvsdbValue): string => (Array.isArray(value) && value[0] === 'uuid' ? String(value[1]) : '');

interface Table {
  readonly headings: string[];
  readonly data: OvsdbValue[][];
}

function rowsOf(table: Table): Record<string, OvsdbValue>[] {
  return table.data.map((row) => Object.fromEntries(table.headings.map((h, i) => [h, row[i]])));
}

/** os-vif's plug of a device into an OVS bridge, as ovs-vsctl commands (one transaction plugs many). */
export function plugVifCommands(bridge: string, device: string, vif: { readonly portId: string; readonly mac: string; readonly instanceId?: string }): string[][] {
  return [
    ['--may-exist', 'add-port', bridge, device],
    [
      'set',
      'interface',
      device,
      `external_ids:iface-id=${vif.portId}`,
      `external_ids:attached-mac=${vif.mac}`,
      'external_ids:iface-status=active',
      ...(vif.instanceId === undefined ? [] : [`external_ids:vm-uuid=${vif.instanceId}`]),
    ],
  ];
}

export class OpenVswitch {
  /** `--db=` for ovs-vsctl. */
  readonly db: string;
  private readonly runDir: string;

  constructor(ovsdbConnection: string) {
    this.db = ovsdbConnection;
    this.runDir = ovsdbConnection.startsWith('unix:') ? dirname(ovsdbConnection.slice('unix:'.length)) : DEFAULT_RUN_DIR;
  }

  /**
   * Runs `commands` (each an ovs-vsctl command's words) in one transaction.
   * By default it returns once ovs-vswitchd has applied them (new ports have
   * their OpenFlow numbers); `wait: false` returns once the database has
   * them, for changes nothing read next depends on (a port's tag).
   */
  async vsctl(commands: readonly (readonly string[])[], options: { readonly wait?: boolean } = {}): Promise<string> {
    if (commands.length === 0) return '';
    return runCommand('ovs-vsctl', [`--db=${this.db}`, '--timeout=10', ...(options.wait === false ? ['--no-wait'] : []), ...commands.flatMap((c) => ['--', ...c])]);
  }

  /** Every bridge with its ports and their interfaces, in one read. */
  async bridges(): Promise<OvsBridge[]> {
    const out = await runCommand('ovs-vsctl', [
      `--db=${this.db}`,
      '--timeout=10',
      '--format=json',
      '--data=json',
      '--',
      '--columns=name,ports,datapath_type,fail_mode,protocols',
      'list',
      'Bridge',
      '--',
      '--columns=_uuid,name,tag,interfaces,other_config',
      'list',
      'Port',
      '--',
      '--columns=_uuid,name,type,ofport,options,external_ids',
      'list',
      'Interface',
    ]);
    const [bridgeTable, portTable, interfaceTable] = out.trim().split('\n').map((line) => JSON.parse(line) as Table);
    const interfaces = new Map(
      rowsOf(interfaceTable!).map((row) => [
        uuidOf(row._uuid),
        {
          name: String(row.name),
          type: String(row.type),
          ofport: typeof row.ofport === 'number' ? row.ofport : -1,
          options: mapOf(row.options),
          externalIds: mapOf(row.external_ids),
        } satisfies OvsInterface,
      ]),
    );
    const ports = new Map(
      rowsOf(portTable!).map((row) => {
        const [tag] = setOf(row.tag);
        return [
          uuidOf(row._uuid),
          {
            name: String(row.name),
            tag: typeof tag === 'number' ? tag : undefined,
            otherConfig: mapOf(row.other_config),
            interfaces: setOf(row.interfaces).flatMap((id) => interfaces.get(uuidOf(id)) ?? []),
          } satisfies OvsPort,
        ];
      }),
    );
    return rowsOf(bridgeTable!).map((row) => {
      const name = String(row.name);
      return {
        name,
        datapathType: String(row.datapath_type),
        failMode: setOf(row.fail_mode).map(String)[0] ?? '',
        protocols: setOf(row.protocols).map(String),
        ports: setOf(row.ports).flatMap((id) => {
          const port = ports.get(uuidOf(id));
          return port && port.name !== name ? [port] : [];
        }),
      };
    });
  }

  /**
   * Plugs an existing device into `bridge` as os-vif does for Nova: the
   * Neutron port id, MAC and status in the interface's external_ids, which
   * is how the Open vSwitch agent finds the port.
   */
  plugVif(bridge: string, device: string, vif: { readonly portId: string; readonly mac: string; readonly instanceId?: string }): Promise<string> {
    return this.vsctl(plugVifCommands(bridge, device, vif));
  }

  /** The bridge's OpenFlow endpoint. */
  private target(bridge: string): string {
    return `unix:${join(this.runDir, `${bridge}.mgmt`)}`;
  }

  /** How the bridge's flow table differs from `flows` (one flow per line, table=N first). */
  async diffFlows(bridge: string, flows: readonly string[]): Promise<FlowDifference[]> {
    const dir = await mkdtemp(join(tmpdir(), 'nucleon-flows-'));
    try {
      const file = join(dir, `${bridge}.flows`);
      await writeFile(file, flows.map((f) => `${f}\n`).join(''));
      // Exit status 2 means "they differ".
      const out = await runCommand('ovs-ofctl', ['-O', OPENFLOW, 'diff-flows', this.target(bridge), file], { answerExitCodes: [2] });
      return out
        .split('\n')
        .filter((line) => line.startsWith('+') || line.startsWith('-'))
        .map((line) => ({ sign: line[0] as '+' | '-', flow: line.slice(1) }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Applies `add` / `delete_strict` lines (the add-flows file format) as one bundle: all or nothing. */
  async applyFlows(bridge: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await runCommand('ovs-ofctl', ['-O', OPENFLOW, '--bundle', 'add-flows', this.target(bridge), '-'], { input: lines.map((l) => `${l}\n`).join('') });
  }

  /** The bridge's flows as OVS prints them (for tests and operators). */
  dumpFlows(bridge: string, match?: string): Promise<string> {
    return runCommand('ovs-ofctl', ['-O', OPENFLOW, '--no-stats', '--names', 'dump-flows', this.target(bridge), ...(match === undefined ? [] : [match])]);
  }
}

/**
 * Interfaces as they are added, removed or change (a VIF plugged, OVS giving
 * it its OpenFlow number), from `ovsdb-client monitor`, as Neutron's agent
 * watches them: `onChange` after each change, never for the rows the monitor
 * lists when it starts.
 */
export class InterfaceMonitor extends LineMonitor {
  constructor(ovsdbConnection: string, onChange: () => void, onError?: (err: Error) => void) {
    super(
      'ovsdb-client',
      ['monitor', ovsdbConnection, 'Open_vSwitch', 'Interface', 'name,ofport,external_ids', '--format=json'],
      (line) => {
        if (!line.includes('"initial"')) onChange();
      },
      onError,
    );
  }
}
