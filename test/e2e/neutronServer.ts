/**
 * Neutron's own server (Debian's neutron-server, Zed) for tests that put
 * Nucleon next to it: ML2 with the Linux bridge and l2population drivers,
 * VXLAN tenant networks, no Keystone (noauth), its own MariaDB database with
 * the schema straight from Neutron's models (what `neutron-db-manage upgrade
 * head` reaches; Neutron's writers contend too much for SQLite).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/testApi.js';
import { sh } from './lab.js';

export const NEUTRON_SERVER = '/usr/bin/neutron-server';

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not by types
  body: any;
}

export type Request = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

export interface NeutronServer {
  readonly url: string;
  readonly port: number;
  /** As an admin of `project`; created resources are given that project, as noauth requires. */
  readonly request: Request;
  output(): string;
  stop(): Promise<void>;
}

export const neutronInstalled = (): boolean => existsSync(NEUTRON_SERVER);

export async function startNeutronServer(dir: string, transportUrl: string, project: string): Promise<NeutronServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const database = `nucleon_neutron_${port}`;
  const databaseUrl = `mysql+pymysql://root@127.0.0.1/${database}`;
  await sh('mysql', ['-uroot', '-h127.0.0.1', '-e', `DROP DATABASE IF EXISTS ${database}; CREATE DATABASE ${database}`]);
  await sh('/usr/bin/python3', [
    '-c',
    `from neutron.db.migration.models import head; import sqlalchemy; head.get_metadata().create_all(sqlalchemy.create_engine('${databaseUrl}'))`,
  ]);
  const conf = join(dir, 'neutron.conf');
  writeFileSync(
    conf,
    `[DEFAULT]\ncore_plugin = ml2\nservice_plugins =\nauth_strategy = noauth\ntransport_url = ${transportUrl}\nbind_host = 127.0.0.1\nbind_port = ${port}\n` +
      `api_workers = 1\nrpc_workers = 1\nrpc_state_report_workers = 1\nstate_path = ${dir}\nagent_down_time = 10\n` +
      'notify_nova_on_port_status_changes = false\nnotify_nova_on_port_data_changes = false\n' +
      `[experimental]\nlinuxbridge = true\n[database]\nconnection = ${databaseUrl}\n[oslo_concurrency]\nlock_path = ${dir}/lock\n` +
      '[ml2]\ntype_drivers = local,flat,vlan,vxlan\ntenant_network_types = vxlan\nmechanism_drivers = linuxbridge,l2population\nextension_drivers = port_security\n' +
      '[ml2_type_vxlan]\nvni_ranges = 3001:3100\n[securitygroup]\nenable_security_group = true\nenable_ipset = true\n',
  );
  // A process group of its own: the server forks its API and RPC workers.
  const child: ChildProcess = spawn(NEUTRON_SERVER, ['--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const request: Request = async (method, path, body) => {
    // Neutron without Keystone wants the project in each created resource.
    if (method === 'POST' && body && typeof body === 'object') {
      body = Object.fromEntries(Object.entries(body).map(([key, value]) => [key, { ...(value as object), tenant_id: project }]));
    }
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-project-id': project, 'x-roles': 'admin' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : JSON.parse(text) };
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    await sh('mysql', ['-uroot', '-h127.0.0.1', '-e', `DROP DATABASE IF EXISTS ${database}`]);
  };
  try {
    await eventually('neutron-server answering', async () => (await request('GET', '/v2.0/networks').catch(() => ({ status: 0 }))).status === 200, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`, { cause: err });
  }
  return { url, port, request, output: () => output, stop };
}
