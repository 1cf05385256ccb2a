// `banyan sim`: a simulated fleet running the real agent code, with a scenario's faults, against an
// in-process orchestrator (and the in-process hub, a private Mosquitto, or a broker given), then a
// report. Faults can also be typed live on stdin: `partition district=mawei durationMs=5000`.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { FAULT_KINDS, parseFaultCommand } from '../chaos/faults.ts';
import { Rehearsal, type TransportKind } from '../chaos/rehearsal.ts';
import { renderReport } from './report.ts';
import { DEMO_SCENARIO_PATH, loadScenario } from './scenario.ts';

const HELP = `banyan sim — a simulated fleet with faults, against an orchestrator, then a report

Usage: banyan sim [--nodes N] [--scenario FILE] [--seed S] [--duration D] [options]

Options:
  --nodes N           simulated nodes (default: the scenario's)
  --scenario FILE     fleet + faults + workloads, YAML or JSON (default: the Fuzhou demo);
                      simulators/fleet/scenarios/ holds ci-chaos.json and fuzhou-city.json
  --seed S            overrides the scenario's seed (same seed: same fleet, same fault timeline)
  --duration D        how long to run after the fleet is up: 30s, 5m, 90000 (ms); default the scenario's, else 60s
  --transport T       inproc (default: agents hand envelopes straight to the orchestrator, 100k nodes fit)
                      or mqtt (real MQTT connections through a private Mosquitto, or --broker)
  --broker URL        with --transport mqtt: use this broker (broker-restart faults are then skipped)
  --topic-root R      topic root (default banyan/v1)
  --no-ledger         do not decode every message into the lost-messages ledger (very big fleets)
  --stdin             read live faults from stdin, one per line: <kind> key=value …
                      kinds: ${FAULT_KINDS.join(', ')}
  --json              print the report as JSON
  -h, --help          this text

The orchestrator runs in this process (so the report can see its decisions); point agents of this
simulator at another orchestrator's broker with --transport mqtt --broker URL and read that
orchestrator's own API for its side.`;

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      scenario: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      transport: { type: 'string' },
      broker: { type: 'string' },
      'topic-root': { type: 'string' },
      'no-ledger': { type: 'boolean' },
      stdin: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const scenario = loadScenario(values.scenario ?? DEMO_SCENARIO_PATH);
  const transport = (values.transport ?? 'inproc') as TransportKind;
  if (transport !== 'inproc' && transport !== 'mqtt') throw new Error(`--transport must be inproc or mqtt, got "${transport}"`);
  if (values.broker && transport !== 'mqtt') throw new Error('--broker needs --transport mqtt');
  const durationMs = values.duration ? parseDuration(values.duration) : (scenario.durationMs ?? 60_000);
  const log = pino({ name: 'banyan-sim', level: process.env.LOG_LEVEL ?? 'error' }, pino.destination(2));
  const say = (m: string) => process.stderr.write(`sim: ${m}\n`);
  say(`starting ${values.nodes ?? scenario.nodes} nodes (${transport})…`);
  const r = await Rehearsal.start({
    scenario,
    transport,
    log,
    ...(values.nodes ? { nodes: positiveInt('--nodes', values.nodes) } : {}),
    ...(values.seed ? { seed: int('--seed', values.seed) } : {}),
    ...(values.broker ? { brokerUrl: values.broker } : {}),
    ...(values['topic-root'] ? { topicRoot: values['topic-root'] } : {}),
    ledger: !values['no-ledger'],
  });
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  try {
    say(`${r.fleet.specs.length} nodes online; orchestrator API ${r.orchestrator.httpUrl}/v1/nodes`);
    const workloads = await r.submitWorkloads();
    if (workloads.length) say(`${workloads.length} workloads submitted`);
    const plan = r.scheduleFaults(durationMs);
    say(`${plan.length} faults on the timeline; running ${Math.round(durationMs / 1000)} s${values.stdin ? ' (live faults on stdin)' : ''}`);
    const rl = values.stdin ? createInterface({ input: process.stdin }) : null;
    rl?.on('line', (line) => {
      if (!line.trim()) return;
      try {
        const f = parseFaultCommand(line, 0);
        void r.applyNow(f).then((rec) => say(`${rec.id}: ${rec.skipped ?? `applied to ${rec.nodes.length} node(s)`}`));
      } catch (e) {
        say((e as Error).message);
      }
    });
    const until = Date.now() + durationMs;
    while (!stop && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
    rl?.close();
    const report = await r.finish(durationMs);
    console.log(values.json ? JSON.stringify(report, null, 2) : renderReport(report));
    return report.invariants.every((i) => i.ok) ? 0 : 3;
  } finally {
    process.off('SIGINT', onSignal);
    await r.stop();
  }
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--duration "${s}" is not a duration; e.g. 90s, 5m, 60000`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
}

function positiveInt(name: string, v: string): number {
  const n = int(name, v);
  if (n < 1) throw new Error(`${name} must be at least 1, got "${v}"`);
  return n;
}
