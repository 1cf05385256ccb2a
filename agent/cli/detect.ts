// `banyan detect`: list this machine's accelerators with their nominal FP16-equivalent TFLOPS
// and where each number comes from, or (--host) the host's inventory; a table for people,
// --json for scripts.
import { parseArgs } from 'node:util';
import { checkFactors, sumFp16, type Factors } from '../../protocol/fp16.ts';
import type { Accelerator, HostInventory } from '../../protocol/messages.ts';
import { VENDORS } from '../../protocol/vendors.ts';
import { CatalogError } from '../catalog/catalog.ts';
import { DEFAULT_TOOL_TIMEOUT_MS, detectAccelerators, type DetectOptions } from '../detect/index.ts';
import type { DetectResult } from '../hardware.ts';
import { collectInventory, DEFAULT_INVENTORY_TIMEOUT_MS } from '../inventory/index.ts';
import { cliIo, parseOrAnswer, type CliIo } from './io.ts';

const HELP = `usage: banyan detect [options]

Detects the accelerators in this machine (NVIDIA, AMD, Intel, Huawei Ascend, Cambricon, Hygon
DCU, Kunlunxin, Iluvatar CoreX, MetaX, Moore Threads, Enflame) with their vendor tools, falls
back to the PCI bus for cards whose tool is missing or failing, and shows each card's nominal
FP16-equivalent TFLOPS with its basis and source.

  --json                      print {accelerators, warnings, totals} as JSON for scripts
  --host                      show this host's inventory instead (system, CPU, memory, disks,
                              NICs, OS, kernel, virtualisation; systeminformation in a child
                              process); with --json, the HostInventory object
  --timeout <seconds>         per vendor tool (default ${DEFAULT_TOOL_TIMEOUT_MS / 1000}); with --host, for the
                              inventory (default ${DEFAULT_INVENTORY_TIMEOUT_MS / 1000})
  --catalog-override <path>   site catalogue file adding or correcting models
                              (same shape as agent/catalog/accelerators.json)
  --factor <precision=x>      FP16-eq conversion factor override, e.g. int8=0.5; repeatable
  --sysfs <root>              sysfs root for the PCI fallback (default /sys)
  --help                      this text

Warnings (a tool missing, hung or failing) go to stderr; the exit status is still 0 when
detection was partial. Exit 1 when the catalogue override is invalid or the host inventory
failed, 2 on a usage error.`;

export interface DetectCommandDeps {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** Environment for the vendor tools (PATH). Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export async function detectCommand(argv: string[], deps: DetectCommandDeps = {}): Promise<number> {
  const io = cliIo(deps);
  const { out, err } = io;
  const args = parseOrAnswer('detect', HELP, io, () => parse(argv));
  if (typeof args === 'number') return args;
  if (args.host) return hostCommand(args, io);
  let result: DetectResult;
  try {
    result = await detectAccelerators({ ...args.options, env: deps.env ?? process.env });
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    err(`banyan detect: ${e.message}\n`);
    return 1;
  }
  for (const w of result.warnings) err(`warning: ${w}\n`);
  const totals = summarize(result.accelerators);
  if (args.json) out(JSON.stringify({ ...result, totals }, null, 2) + '\n');
  else out(renderTable(result.accelerators, totals));
  return 0;
}

interface ParsedArgs {
  help: boolean;
  json: boolean;
  host: boolean;
  options: DetectOptions;
}

async function hostCommand(args: ParsedArgs, { out, err }: CliIo): Promise<number> {
  const r = await collectInventory(args.options.timeoutMs ? { timeoutMs: args.options.timeoutMs } : {});
  if (!r.ok) {
    err(`banyan detect --host: ${r.error}\n`);
    return 1;
  }
  out(args.json ? JSON.stringify(r.inventory, null, 2) + '\n' : renderInventory(r.inventory));
  return 0;
}

/** Key-value lines, then one table each for disks and NICs. */
export function renderInventory(inv: HostInventory): string {
  const or = (s: string) => s || '-';
  const gib = (bytes: number) => (bytes > 0 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : '?');
  const facts: [string, string][] = [
    ['system', or([inv.systemVendor, inv.systemModel].filter(Boolean).join(' '))],
    ['serial', inv.systemSerial || '- (not readable; DMI serials are often root-only)'],
    ['cpu', `${or(inv.cpuModel)}, ${inv.cpuPhysicalCores || '?'} cores / ${inv.cpuThreads || '?'} threads, max ${inv.cpuMaxMhz > 0 ? `${inv.cpuMaxMhz} MHz` : 'clock unknown'}`],
    ['memory', `${(inv.memoryMib / 1024).toFixed(1)} GiB`],
    ['os', or(inv.os)],
    ['kernel', or(inv.kernel)],
    ['virtualisation', or(inv.virtualization)],
  ];
  const w = Math.max(...facts.map(([k]) => k.length));
  const lines = facts.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  lines.push('', ...table(['disk', 'model', 'size', 'type'], inv.disks.map((d) => [d.name, or(d.model), gib(d.sizeBytes), or(d.type)]), 'No disks reported.'));
  lines.push('', ...table(['nic', 'mac', 'speed', 'addresses'], inv.nics.map((n) => [n.name, or(n.mac), n.speedMbps > 0 ? `${n.speedMbps} Mb/s` : '?', n.addresses.join(', ') || '-']), 'No NICs reported.'));
  lines.push('', `Source: ${inv.source}, taken ${new Date(inv.collectedAtMs).toISOString()}`);
  return lines.join('\n') + '\n';
}

function table(head: string[], rows: string[][], empty: string): string[] {
  if (rows.length === 0) return [empty];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)];
}

function parse(argv: string[]): ParsedArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean', default: false },
      host: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      timeout: { type: 'string' },
      'catalog-override': { type: 'string' },
      factor: { type: 'string', multiple: true },
      sysfs: { type: 'string' },
    },
  });
  const options: DetectOptions = {};
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!(s > 0 && s <= 600)) throw new Error(`--timeout must be seconds between 0 and 600, got "${values.timeout}"`);
    options.timeoutMs = Math.round(s * 1000);
  }
  if (values['catalog-override']) options.catalogOverridePath = values['catalog-override'];
  if (values.sysfs) options.sysfsRoot = values.sysfs;
  if (values.factor?.length) options.factors = parseFactors(values.factor);
  return { help: values.help ?? false, json: values.json ?? false, host: values.host ?? false, options };
}

function parseFactors(specs: readonly string[]): Partial<Factors> {
  const raw: Record<string, unknown> = {};
  for (const spec of specs) {
    const m = spec.match(/^([a-z0-9]+)=(.+)$/);
    if (!m) throw new Error(`--factor expects precision=number, got "${spec}"`);
    raw[m[1]!] = Number(m[2]);
  }
  const problems = checkFactors(raw);
  if (problems.length) throw new Error(`--factor: ${problems.join('; ')}`);
  return raw as Partial<Factors>;
}

export interface DetectTotals {
  tflops: number;
  pflops: number;
  domesticShare: number;
  unknownCount: number;
}

export function summarize(accelerators: readonly Accelerator[]): DetectTotals {
  const t = sumFp16(accelerators.map((a) => ({ domestic: a.domestic, fp16: a.nominal })));
  return { tflops: round(t.pflops * 1000), pflops: t.pflops, domesticShare: t.domesticShare, unknownCount: t.unknownCount };
}

/** One row per accelerator; sources are footnotes so the table stays readable. */
export function renderTable(accelerators: readonly Accelerator[], totals: DetectTotals): string {
  if (accelerators.length === 0) return 'No accelerators found.\n';
  const sources: string[] = [];
  const footnote = (s: string) => {
    let i = sources.indexOf(s);
    if (i < 0) i = sources.push(s) - 1;
    return `[${i + 1}]`;
  };
  const head = ['#', 'vendor', 'model', 'memory', 'health', 'driver', 'FP16-eq TFLOPS', 'basis', 'source', 'bus'];
  const rows = accelerators.map((a) => [
    String(a.index),
    VENDORS[a.vendor as keyof typeof VENDORS]?.name ?? a.vendor,
    a.model,
    a.memoryMib > 0 ? `${(a.memoryMib / 1024).toFixed(1)} GiB` : '?',
    a.health,
    a.driverVersion || '-',
    a.nominal.tflops === undefined ? 'unknown' : a.nominal.tflops.toFixed(1),
    a.nominal.basis + (a.nominal.weak ? ' (weak)' : ''),
    footnote(a.nominal.source),
    a.pciBusId || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  lines.push(
    `Total nominal FP16-eq: ${totals.tflops.toFixed(1)} TFLOPS (${totals.pflops.toFixed(3)} PFLOPS), domestic share ${(totals.domesticShare * 100).toFixed(1)} %`,
  );
  if (totals.unknownCount) lines.push(`${totals.unknownCount} accelerator(s) with unknown FP16-eq are not counted.`);
  const notes = accelerators.filter((a) => a.note).map((a) => `  #${a.index}: ${a.note}`);
  if (notes.length) lines.push('', 'Notes:', ...notes);
  lines.push('', 'Sources:', ...sources.map((s, i) => `  [${i + 1}] ${s}`));
  return lines.join('\n') + '\n';
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
