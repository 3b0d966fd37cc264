/**
 * A three-node RabbitMQ cluster on loopback (Debian's rabbitmq-server),
 * beside the machine's own broker and sharing only its epmd: nodes
 * lab1@localhost .. lab3@localhost on AMQP ports 5701-5703 (distribution
 * 25701-25703), each with its own Mnesia and log directories, config file,
 * an empty plugin list (no management listener to clash) and the lab's own
 * Erlang cookie in a private HOME, which rabbitmqctl is given as well.
 * Nodes 2 and 3 join node 1 (`join_cluster`).
 *
 *   const rabbit = await startRabbitCluster(lab);
 *   rabbit.transportUrl  // rabbit://guest:guest@127.0.0.1:5701,...:5703/
 *   await rabbit.stopAll(); await rabbit.startAll();   // a full restart
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, LabProcesses } from './processes.js';
import { eventually as waitFor } from '../test/helpers/eventually.js';
import { run } from './commands.js';

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const NODES = 3;

export interface RabbitNode {
  readonly index: number;
  readonly name: string;
  readonly amqpPort: number;
}

export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[];
  /** Every node, as oslo.messaging lists several hosts. */
  readonly transportUrl: string;
  process(index: number): LabProcess;
  kill9(index: number): void;
  /** Starts a stopped node; resolves when it is running and clustered with the others again. */
  restart(index: number): Promise<void>;
  /** Stops every node (rabbitmqctl stop, last one first). */
  stopAll(): Promise<void>;
  /** Starts every node together (each waits for the peers it last saw); resolves when clustered. */
  startAll(): Promise<void>;
  /** `rabbitmqctl list_queues name type` on a running node. */
  queues(): Promise<Array<{ name: string; type: string }>>;
  runningNodes(): Promise<string[]>;
  waitWhole(timeoutMs: number): Promise<void>;
}

export async function startRabbitCluster(lab: LabProcesses): Promise<RabbitCluster> {
  const home = join(lab.dir, 'rabbit-home');
  mkdirSync(home, { recursive: true });
  const cookie = join(home, '.erlang.cookie');
  writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
  chmodSync(cookie, 0o400);
  // The machine's rabbitmq-env.conf names the system node; ours is empty.
  const envFile = join(home, 'rabbitmq-env.conf');
  writeFileSync(envFile, '');
  const ctlEnv = { ...process.env, HOME: home, RABBITMQ_CONF_ENV_FILE: envFile };

  const nodes: RabbitNode[] = Array.from({ length: NODES }, (_, i) => ({ index: i, name: `lab${i + 1}@localhost`, amqpPort: 5701 + i }));
  const processes: LabProcess[] = [];

  const nodeEnv = (node: RabbitNode): NodeJS.ProcessEnv => {
    const base = join(lab.dir, `rabbit${node.index + 1}`);
    mkdirSync(join(base, 'log'), { recursive: true });
    writeFileSync(join(base, 'enabled_plugins'), '[].\n');
    writeFileSync(
      join(base, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${node.amqpPort}`,
        'loopback_users.guest = true',
        // The lab's disks are shared with other work; do not stop publishers on a small free space.
        'disk_free_limit.absolute = 50MB',
        'log.console = false',
        'log.file.level = info',
        '',
      ].join('\n'),
    );
    return {
      ...ctlEnv,
      RABBITMQ_NODENAME: node.name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(node.amqpPort),
      RABBITMQ_DIST_PORT: String(25701 + node.index),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(base, 'rabbit.pid'),
      RABBITMQ_SERVER_ERL_ARGS: '+P 1048576 -kernel inet_dist_use_interface {127,0,0,1}',
    };
  };
  const ctl = (node: RabbitNode, args: readonly string[]) => run(join(RABBIT_BIN, 'rabbitmqctl'), ['-q', '-n', node.name, ...args], ctlEnv);
  const launch = (node: RabbitNode): LabProcess => {
    const started = lab.spawn(`rabbit${node.index + 1}`, join(RABBIT_BIN, 'rabbitmq-server'), [], { env: nodeEnv(node) });
    processes[node.index] = started;
    return started;
  };
  const booted = (node: RabbitNode, timeoutMs: number) =>
    waitFor(`${node.name} running`, async () => {
      await ctl(node, ['await_startup', '--timeout', '5']);
      return true;
    }, timeoutMs);
  const runningNodes = async (): Promise<string[]> => {
    for (const node of nodes) {
      if (!processes[node.index]?.alive()) continue;
      try {
        const status = JSON.parse(await ctl(node, ['cluster_status', '--formatter', 'json'])) as { running_nodes?: string[] };
        return status.running_nodes ?? [];
      } catch {
        // try the next node
      }
    }
    return [];
  };
  const waitWhole = async (timeoutMs: number) => {
    await waitFor('RabbitMQ: three nodes running in one cluster', async () => (await runningNodes()).length === NODES, timeoutMs);
  };

  for (const node of nodes) launch(node);
  await Promise.all(nodes.map((node) => booted(node, 120_000)));
  for (const node of nodes.slice(1)) {
    await ctl(node, ['stop_app']);
    await ctl(node, ['join_cluster', (nodes[0] as RabbitNode).name]);
    await ctl(node, ['start_app']);
  }
  await waitWhole(60_000);

  const cluster: RabbitCluster = {
    nodes,
    transportUrl: `rabbit://${nodes.map((n) => `guest:guest@127.0.0.1:${n.amqpPort}`).join(',')}/`,
    process: (index) => processes[index] as LabProcess,
    kill9: (index) => processes[index]?.kill9(),
    restart: async (index) => {
      const node = nodes[index] as RabbitNode;
      if (processes[index]?.alive()) throw new Error(`lab: ${node.name} is still running`);
      launch(node);
      await booted(node, 120_000);
      await waitWhole(60_000);
    },
    stopAll: async () => {
      for (const node of [...nodes].reverse()) {
        await ctl(node, ['stop']).catch(() => undefined);
        await processes[node.index]?.exited;
      }
    },
    startAll: async () => {
      for (const node of nodes) launch(node);
      await Promise.all(nodes.map((node) => booted(node, 180_000)));
      await waitWhole(60_000);
    },
    queues: async () => {
      const node = nodes.find((n) => processes[n.index]?.alive()) ?? (nodes[0] as RabbitNode);
      const text = await ctl(node, ['list_queues', 'name', 'type', '--formatter', 'json']);
      return JSON.parse(text) as Array<{ name: string; type: string }>;
    },
    runningNodes,
    waitWhole,
  };
  return cluster;
}
