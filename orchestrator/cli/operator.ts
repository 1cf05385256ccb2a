// The operator commands: nodes, node, workloads, submit, explain, move, stop, summary. Tables for
// people, --json for scripts; exit codes 0 ok, 1 error, 2 usage, 3 not found, 4 unreachable or
// refused (401/403).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { WorkloadView } from '../api/workloads.ts';
import type { NodeView } from '../views.ts';
import { apiErrorText, ApiError, BanyanClient, CONNECT_HELP, CONNECT_OPTIONS, consoleIo, DEFAULT_ORCHESTRATOR, EXIT, type ExplainView, type Io, type ResolveView } from './client.ts';

export type { Io };
import { fixed, rtt, table } from './table.ts';

interface OperatorCommand {
  usage: string;
  /** Positional arguments it takes, by name. */
  args: string[];
  options?: Record<string, { type: 'string' | 'boolean' }>;
  run: (c: BanyanClient, args: string[], opts: Record<string, string | boolean | undefined>) => Promise<{ json: unknown; text: string }>;
}

const COMMON_HELP = `Options:
${CONNECT_HELP}
  --json              machine-readable output
  -h, --help          this text

Exit codes: 0 ok, 1 error (refused spec, conflict, server error), 2 usage, 3 not found,
            4 orchestrator unreachable or the token refused (401/403).`;

export const OPERATOR_COMMANDS: Record<string, OperatorCommand> = {
  nodes: {
    usage: 'banyan nodes [--status online|offline|unknown]',
    args: [],
    options: { status: { type: 'string' } },
    run: async (c, _a, o) => {
      const nodes = (await c.nodes()).filter((n) => !o.status || n.status === o.status);
      return { json: { nodes }, text: nodesTable(nodes) };
    },
  },
  node: {
    usage: 'banyan node ID',
    args: ['ID'],
    run: async (c, [id]) => {
      const n = await c.node(id!);
      return { json: n, text: nodeDetail(n) };
    },
  },
  workloads: {
    usage: 'banyan workloads',
    args: [],
    run: async (c) => {
      const ws = await c.workloads();
      return { json: { workloads: ws }, text: ws.length ? workloadsTable(ws) : 'no workloads' };
    },
  },
  submit: {
    usage: 'banyan submit FILE        (a workload spec, YAML or JSON; - reads stdin)',
    args: ['FILE'],
    run: async (c, [file]) => {
      const w = await c.submit(await readSpec(file!));
      return { json: w, text: `submitted ${w.name} as ${w.id}: ${w.state}${w.nodeId ? ` on ${w.nodeId}, RTT ${rtt(w.rttMs, w.rttMeasured)}` : ''}` };
    },
  },
  resolve: {
    usage: 'banyan resolve WORKLOAD --near SITE|LAT,LON   (WORKLOAD: an id or a live workload\'s name)',
    args: ['WORKLOAD'],
    options: { near: { type: 'string' } },
    run: async (c, [id], o) => {
      if (typeof o.near !== 'string' || !o.near) throw new UsageError('resolve needs --near SITE (e.g. fz-mawei-plant-3) or --near LAT,LON (e.g. 26.08,119.30)');
      const r = await c.resolve(id!, o.near);
      return { json: r, text: resolveText(r) };
    },
  },
  explain: {
    usage: 'banyan explain WORKLOAD_ID',
    args: ['WORKLOAD_ID'],
    run: async (c, [id]) => {
      const x = await c.explain(id!);
      return { json: x, text: explainText(x) };
    },
  },
  move: {
    usage: 'banyan move WORKLOAD_ID --to NODE_ID',
    args: ['WORKLOAD_ID'],
    options: { to: { type: 'string' } },
    run: async (c, [id], o) => {
      if (typeof o.to !== 'string' || !o.to) throw new UsageError('move needs --to NODE_ID');
      const w = await c.move(id!, o.to);
      return { json: w, text: `moved ${w.name} (${w.id}) to ${w.nodeId}: ${w.state}, RTT ${rtt(w.rttMs, w.rttMeasured)}` };
    },
  },
  stop: {
    usage: 'banyan stop WORKLOAD_ID',
    args: ['WORKLOAD_ID'],
    run: async (c, [id]) => {
      const w = await c.stop(id!);
      return { json: w, text: `${w.name} (${w.id}) is ${w.state}` };
    },
  },
  summary: {
    usage: 'banyan summary',
    args: [],
    run: async (c) => {
      const s = await c.summary();
      const share = `${(s.nominal.domesticShare * 100).toFixed(1)} % (${s.cityPlan.meetsDomesticShare ? 'meets' : 'below'} the ${s.cityPlan.domesticShareTarget * 100} % line)`;
      const text = [
        `nodes         ${s.nodes.online} online, ${s.nodes.offline} offline, ${s.nodes.unknown} unknown (${s.nodes.total} known)`,
        `accelerators  ${s.accelerators}`,
        `nominal       ${fixed(s.nominal.pflops, 3)} PFLOPS FP16-eq (city target ${s.cityPlan.targetPflops})`,
        `measured      ${fixed(s.measured.pflops, 3)} PFLOPS FP16-eq`,
        `domestic      ${share}`,
        `power now     ${fixed(s.energy.powerW / 1000, 2)} kW from ${s.energy.cardsReportingPower} of ${s.accelerators} cards`,
        `efficiency    ${efficiency(s.energy.efficiency)} TFLOPS/W FP16-eq${s.energy.efficiency.unknownCards ? ` (${s.energy.efficiency.unknownCards} cards without a figure)` : ''}`,
        '',
        table(['VENDOR', 'DOMESTIC', 'COUNT', 'NOMINAL TFLOPS'], s.byVendor.map((v) => [v.vendor, v.domestic ? 'yes' : 'no', v.count, fixed(v.nominalTflops)]), { right: [2, 3] }),
      ].join('\n');
      return { json: s, text };
    },
  },
};

class UsageError extends Error {}

async function readSpec(file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    // The yaml package puts the offending lines and a caret after the first line: keep them.
    throw new UsageError(`${file} is neither YAML nor JSON: ${(e as Error).message.trimEnd()}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function nodesTable(nodes: NodeView[]): string {
  return table(
    ['NODE', 'STATE', 'SITE', 'ACCELERATORS', 'NOMINAL TF', 'MEASURED TF', 'POWER W', 'UTIL %', 'TF/W', 'WORKLOADS'],
    nodes.map((n) => [
      n.id,
      n.status,
      n.site,
      acceleratorSummary(n),
      fixed(n.nominalTflops),
      fixed(n.measuredTflops),
      fixed(n.acceleratorPowerW, 0),
      fixed(meanUtil(n), 0),
      efficiency(n.efficiency),
      n.runningWorkloads.length,
    ]),
    { right: [4, 5, 6, 7, 9] },
  );
}

/** Mean utilisation of the cards that report one; null when none does. */
function meanUtil(n: NodeView): number | null {
  const u = (n.telemetry?.accelerators ?? []).map((s) => s.utilPct).filter((v): v is number => v !== null);
  return u.length ? u.reduce((a, b) => a + b, 0) / u.length : null;
}

/** "0.653 mixed", or "-" when no card has a figure. */
function efficiency(e: { tflopsPerWatt: number | null; basis: string }): string {
  return e.tflopsPerWatt === null ? '-' : `${fixed(e.tflopsPerWatt, 3)} ${e.basis}`;
}

function acceleratorSummary(n: NodeView): string {
  const byModel = new Map<string, number>();
  for (const a of n.accelerators) byModel.set(a.model, (byModel.get(a.model) ?? 0) + 1);
  return [...byModel].map(([m, k]) => `${k}x ${m}`).join(', ');
}

/** An agent whose config leaves location.district empty still gets a readable line, and is told where to set it. */
export function siteLine(n: Pick<NodeView, 'site' | 'location'>): string {
  if (!n.location) return `site      ${n.site}`;
  const { district, lat, lon } = n.location;
  const where = district ? `${district}, ` : 'district not set: location.district in the agent config; ';
  return `site      ${n.site} (${where}${lat}, ${lon})`;
}

function nodeDetail(n: NodeView): string {
  const head = [
    `node      ${n.id}`,
    `state     ${n.status} (${n.statusReason}) since ${new Date(n.sinceMs).toISOString()}`,
    siteLine(n),
    `host      ${n.host ? `${n.host.hostname}, ${n.host.cpuCores} cores, ${n.host.os}` : '-'}`,
    `agent     ${n.agentVersion || '-'}`,
    `FP16-eq   ${fixed(n.nominalTflops)} TFLOPS nominal, ${fixed(n.measuredTflops)} measured`,
    `energy    ${n.acceleratorPowerW === null ? 'no card reports power' : `${fixed(n.acceleratorPowerW, 0)} W now`}; ${efficiency(n.efficiency)} TFLOPS/W`,
    `readings  ${n.telemetry ? new Date(n.telemetry.atMs).toISOString() : 'none yet'}`,
  ];
  const accs = table(
    ['#', 'VENDOR', 'MODEL', 'NOMINAL TF', 'BASIS', 'MEASURED TF', 'RATIO', 'P99 MS', 'BACKEND', 'UTIL %', 'MEM GIB', 'TEMP C', 'POWER W', 'LIMIT W', 'HEALTH', 'TF/W'],
    n.accelerators.map((a) => {
      const r = a.telemetry;
      const total = r?.memoryTotalMib ?? (a.memoryMib || null);
      const gib = (mib: number | null | undefined) => fixed(mib === null || mib === undefined ? null : mib / 1024);
      return [
        a.index, a.vendor, a.model, fixed(a.nominal.tflops), a.nominal.basis,
        fixed(a.measured?.tflops), a.measured ? fixed(a.measured.ratioToNominal, 2) : null,
        a.measured ? fixed(a.measured.latencyP99Ms, 2) : null, a.measured?.backend,
        fixed(r?.utilPct, 0), r?.memoryUsedMib === null || !r ? null : `${gib(r.memoryUsedMib)}/${gib(total)}`,
        fixed(r?.temperatureC, 0), fixed(r?.powerW, 0), fixed(r?.powerLimitW, 0), r?.health ?? a.health, efficiency(a.efficiency),
      ];
    }),
    { right: [0, 3, 5, 6, 7, 9, 10, 11, 12, 13] },
  );
  const errors = (n.telemetry?.acceleratorErrors ?? []).map((e) => `error     ${e}`);
  return [...head, '', accs, ...(errors.length ? ['', ...errors] : [])].join('\n');
}

function workloadsTable(ws: WorkloadView[]): string {
  return table(
    ['ID', 'NAME', 'CLASS', 'STATE', 'NODE', 'REPLICA', 'SLO', 'RTT'],
    ws.map((w) => [w.id, w.name, w.class, w.state, w.nodeId ?? (w.overflow?.city ? `in ${w.overflow.city}` : null), w.replica ? `${w.replica.index + 1}/${w.spec.replicas} ${w.spec.spread}` : '-', w.maxRttMs === null ? 'none' : `<=${w.maxRttMs} ms`, rtt(w.rttMs, w.rttMeasured)]),
  );
}

function resolveText(r: ResolveView): string {
  const where = 'lat' in r.near ? `${r.near.lat},${r.near.lon}` : 'site' in r.near ? r.near.site : r.near.landmark;
  const head = `${r.name} (${r.workload}) from ${where}: ${r.instances.length ? `connect to ${r.instances[0]!.nodeId}` : 'no healthy instance'}`;
  const rows = table(
    ['#', 'INSTANCE', 'NODE', 'SITE', 'DISTRICT', 'RTT MS', '± MS', 'BASIS'],
    r.instances.map((i, k) => [k + 1, i.id, i.nodeId, i.site, i.district, fixed(i.rttMs, 2), fixed(i.errorMs, 2), i.basis]),
    { right: [0, 5, 6] },
  );
  const left = r.excluded.map((e) => `left out ${e.id}: ${e.reason}`);
  return [head, '', rows, ...(left.length ? ['', ...left] : [])].join('\n');
}

function explainText(x: ExplainView): string {
  const filters = table(['FILTER', 'REMOVED', 'WHY (EXAMPLES)'], x.filters.map((f) => [f.name, f.removed, f.reasons.join('; ')]), { right: [1] });
  // Only the scores this workload is placed by (weight > 0) get a column.
  const scores = (Object.keys(x.weights) as (keyof ExplainView['weights'])[]).filter((k) => x.weights[k] > 0);
  const candidates = table(
    ['NODE', 'SCORE', ...scores.map((k) => k.toUpperCase()), 'RTT'],
    x.candidates.map((c) => [c.nodeId, fixed(c.total, 3), ...scores.map((k) => fixed(c.breakdown[k], 3)), rtt(c.rttMs, c.measured)]),
    { right: [1, ...scores.map((_, i) => i + 2)] },
  );
  const verdict = x.chosen ? `chosen: ${x.chosen}` : `no node fits${x.blockedBy ? `; blocked by ${x.blockedBy}` : ''}`;
  const removed = x.filters.reduce((n, f) => n + f.removed, 0);
  const counts = `${x.fleet} nodes: ${removed} removed by the filters below, ${x.scored} scored, ${x.notExamined} not examined`
    + (x.notExamined > 0 ? ' (none of them could beat the best score)' : '');
  const weights = `weights: ${scores.map((k) => `${k} ${x.weights[k]}`).join(', ') || 'none'}`;
  return [`workload ${x.workload}: ${verdict}`, counts, '', filters, '', candidates, weights].join('\n');
}

/** Runs one operator command; returns its exit code. */
export async function operatorCommand(name: string, argv: string[], env: NodeJS.ProcessEnv = process.env, io: Io = consoleIo): Promise<number> {
  const cmd = OPERATOR_COMMANDS[name];
  if (!cmd) throw new Error(`no operator command "${name}"`);
  const help = `${cmd.usage}\n\n${COMMON_HELP}`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...CONNECT_OPTIONS,
        ...cmd.options,
      },
    });
  } catch (e) {
    io.err(`banyan ${name}: ${(e as Error).message}\n\n${help}`);
    return EXIT.usage;
  }
  const opts = parsed.values as Record<string, string | boolean | undefined>;
  if (opts.help) {
    io.out(help);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== cmd.args.length) {
    io.err(`banyan ${name}: expected ${cmd.args.length ? cmd.args.join(' ') : 'no arguments'}, got ${parsed.positionals.length ? parsed.positionals.join(' ') : 'none'}\n\nUsage: ${cmd.usage}`);
    return EXIT.usage;
  }
  const client = new BanyanClient({
    baseUrl: (opts.orchestrator as string | undefined) ?? env.BANYAN_ORCHESTRATOR ?? DEFAULT_ORCHESTRATOR,
    token: (opts.token as string | undefined) ?? env.BANYAN_TOKEN,
  });
  try {
    const r = await cmd.run(client, parsed.positionals, opts);
    io.out(opts.json ? JSON.stringify(r.json, null, 2) : r.text);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`banyan ${name}: ${e.message}`);
      return EXIT.usage;
    }
    if (!(e instanceof ApiError)) throw e;
    if (opts.json) io.err(JSON.stringify({ error: e.kind, status: e.status, message: e.message, errors: e.fieldErrors }));
    else io.err(apiErrorText(name, e));
    return e.exitCode;
  }
}
