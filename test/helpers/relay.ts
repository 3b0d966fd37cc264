/**
 * Makes this namespace's 127.0.0.1:<port> (RabbitMQ, the API server)
 * reachable as 127.0.0.1:<port> inside another network namespace, without a
 * veth into the root namespace: a listener inside relays each connection to
 * a Unix socket (a path in the file system crosses network namespaces), and
 * this process relays that socket to the real port.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';

import { eventually } from './eventually.js';

export interface Relay {
  close(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
}

export async function relayIntoNamespace(ns: string, port: number, socketPath: string): Promise<Relay> {
  const outside = createServer((client) => pipeBoth(client, connect(port, '127.0.0.1')));
  await new Promise<void>((resolve) => outside.listen(socketPath, resolve));
  // The socket path in the command line also lets a cleanup find this process by its test directory.
  const script =
    `const net=require('net');net.createServer(c=>{const u=net.connect(${JSON.stringify(socketPath)});c.pipe(u).pipe(c);` +
    `const x=()=>{c.destroy();u.destroy()};c.on('error',x);u.on('error',x)}).listen(${port},'127.0.0.1',()=>console.log('ready'))`;
  const inside = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let said = '';
  inside.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
  try {
    await eventually(`the relay of port ${port} listening in ${ns}`, () => said.includes('ready'), 5_000);
  } catch (err) {
    inside.kill('SIGKILL');
    outside.close();
    throw err;
  }
  return {
    close: async () => {
      inside.kill('SIGKILL');
      await new Promise<void>((resolve) => outside.close(() => resolve()));
    },
  };
}
