/** The HA lab's results as a readable Markdown page (the JSON file holds the same, whole). */
import type { FaultResult } from './faults.js';

export interface HaResults {
  readonly startedAt: string;
  readonly machine: string;
  readonly buildUpMs: Readonly<Record<string, number>>;
  readonly agents: number;
  readonly faults: readonly FaultResult[];
}

const seconds = (ms: number | undefined): string => (ms === undefined || ms < 0 ? '-' : `${(ms / 1000).toFixed(1)} s`);
/** A time relative to the fault, before it (negative) as well. */
const offset = (ms: number): string => `${ms < 0 ? '' : '+'}${(ms / 1000).toFixed(1)} s`;

function faultSection(fault: FaultResult): string {
  const c = fault.clients;
  const window = c.failureWindowMs === null ? 'none' : `between ${offset(c.failureWindowMs[0])} and ${offset(c.failureWindowMs[1])} from the fault`;
  const kinds = Object.entries(c.failuresByKind).map(([kind, n]) => `${n} x ${kind}`).join(', ') || 'none';
  const samples = Object.entries(c.sampleMessages)
    .filter(([, message]) => message !== '')
    .map(([kind, message]) => `  - ${kind}: "${message}"`);
  const invariants =
    'error' in fault.invariants
      ? `could not run: ${fault.invariants.error}`
      : fault.invariants.violations.length === 0
        ? `all hold (${fault.invariants.counts.acknowledgedLive} acknowledged objects live, ${fault.invariants.counts.acknowledgedDeleted} deleted, ${fault.invariants.counts.ports} ports, ${fault.invariants.counts.ipAllocations} IP allocations)`
        : fault.invariants.violations.slice(0, 20).map((v) => `${v.check}: ${v.detail}`).join('; ');
  return [
    `### ${fault.name}: ${fault.ok ? 'OK' : 'PROBLEMS'}`,
    '',
    fault.what,
    '',
    `- whole again after: ${seconds(fault.wholeAfterMs)}`,
    ...Object.entries(fault.figures).map(([key, value]) => `- ${key}: ${typeof value === 'number' && key.endsWith('Ms') ? seconds(value) : String(value)}`),
    `- clients: ${c.requests} requests, ${c.failures} failed (${kinds}), ${c.inFlightAtFault} were in flight at the fault; failures ${window}; 500s: ${c.status500}; latency p50 ${c.latencyMs.p50} ms, p99 ${c.latencyMs.p99} ms`,
    ...(samples.length > 0 ? ['- what failing clients were told:', ...samples] : []),
    `- invariants: ${invariants}`,
    ...Object.entries(fault.evidence).flatMap(([id, requests]) => [`- requests on ${id}:`, ...requests.map((r) => `  - ${r}`)]),
    ...fault.problems.map((p) => `- problem: ${p}`),
    '',
  ].join('\n');
}

export function haMarkdown(results: HaResults): string {
  const summary = results.faults.map(
    (f) => `| ${f.name} | ${f.ok ? 'OK' : 'PROBLEMS'} | ${seconds(f.wholeAfterMs)} | ${f.clients.failures} / ${f.clients.requests} | ${f.clients.status500} | ${'error' in f.invariants ? 'not run' : f.invariants.violations.length} |`,
  );
  return [
    `# HA lab run of ${results.startedAt}`,
    '',
    `${results.machine}. ${results.agents} simulated agents; build-up: ${Object.entries(results.buildUpMs).map(([part, ms]) => `${part} ${seconds(ms)}`).join(', ')}.`,
    '',
    '| fault | result | whole after | failed / requests | 500s | invariant violations |',
    '| --- | --- | --- | --- | --- | --- |',
    ...summary,
    '',
    ...results.faults.map(faultSection),
  ].join('\n');
}
