/**
 * A stand-in agent process that only sends heartbeats:
 *   node --import tsx test/helpers/fakeAgent.ts <transport_url> <host> <agent_type> <binary> <interval_ms>
 * It calls report_state on q-reports-plugin every interval, as an L2 or DHCP
 * agent does, and prints one line per answer (`report new|alive|revived`, or
 * `error <type>` while the bus is down). It runs until killed.
 */
import { neutronReportTime } from '../../src/common/time.js';
import { openBus } from '../../src/rpc/connect.js';
import { REPORTS } from '../../src/rpc/topics.js';

const [transportUrl, host, agentType, binary, interval] = process.argv.slice(2);
if (!transportUrl || !host || !agentType || !binary || !interval) {
  process.stderr.write('usage: fakeAgent.ts <transport_url> <host> <agent_type> <binary> <interval_ms>\n');
  process.exit(2);
}
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const bus = await openBus(transportUrl, { retryIntervalMs: 200, retryBackoffMs: 100, intervalMaxMs: 1000 }, quiet);
let first = true;
const report = async () => {
  const agentState = {
    agent_type: agentType,
    binary,
    host,
    topic: 'N/A',
    configurations: { interface_mappings: {}, tunnel_types: ['vxlan'], devices: 0 },
    ...(first ? { start_flag: true } : {}),
  };
  try {
    const answer = await bus.call(REPORTS, 'report_state', { agent_state: { agent_state: agentState }, time: neutronReportTime() }, { timeoutMs: 5000 });
    first = false;
    process.stdout.write(`report ${String(answer)}\n`);
  } catch (err) {
    process.stdout.write(`error ${err instanceof Error ? err.name : 'unknown'}\n`);
  }
};
await report();
setInterval(() => void report(), Number(interval));
