// The city's books from the command line: `banyan ledger`, `banyan ledger verify`, `banyan report
// supply|demand|progress` and `banyan tenant set|list`. Tables for people, CSV/JSON/HTML for
// filing and scripts; `ledger verify --file` checks a ledger file with no orchestrator running.
import { parseArgs } from 'node:util';
import { FileLedgerStore } from '../ledger/store.ts';
import { verifyChain, type VerifyResult } from '../ledger/chain.ts';
import type { DemandReport } from '../reports/demand.ts';
import type { ProgressReport } from '../reports/progress.ts';
import type { SupplyReport } from '../reports/supply.ts';
import { demandTable, label, progressTable, supplyTable, type Tabular } from '../reports/render.ts';
import { apiErrorText, ApiError, BanyanClient, CONNECT_HELP, CONNECT_OPTIONS, consoleIo, DEFAULT_ORCHESTRATOR, EXIT, type Io } from './client.ts';
import { table, type Cell } from './table.ts';


const HELP: Record<string, string> = {
  ledger: `banyan ledger [--kind usage|tenant|snapshot] [--tenant T] [--site S] [--limit N] [--format table|csv|json]
banyan ledger verify [--file PATH] [--json]

The compute ledger: usage (who used which accelerators where, when, PFLOPS-hours, fee), tenants'
price plans and daily capacity snapshots, each entry chained to the one before by its hash.
verify recomputes the chain (from the orchestrator, or from a ledger file with --file: the
orchestrator keeps it as <data-dir>/ledger.jsonl) and names the first broken entry; exit 1 then.

${CONNECT_HELP}`,
  report: `banyan report supply --period 2026H1|2026H2 [--format table|csv|json|html]
banyan report demand --year 2026 [--format …]
banyan report progress [--format …]

supply: per site and half-year, nominal FP16-eq P, domestic share, eligibility (≥100 P, ≥80 %),
compute sold and used, and the subsidy (CNY 50,000 per P-year used, city cap CNY 10 M a year).
demand: per enterprise and year, purchases, band and subsidy (50/40/30 %, cap CNY 500,000).
progress: the city's FP16-eq PFLOPS by day against 400 P. html is a printable page to hand in.

${CONNECT_HELP}`,
  tenant: `banyan tenant set TENANT --plan pflops-hour|accelerator-hour --price CNY [--since-year YEAR]
banyan tenant list [--json]

A tenant's price plan turns its usage into fees (CNY per PFLOPS-hour of nominal FP16-eq, or per
accelerator-hour); since-year is its first year on the platform (demand subsidy years 1–3).

${CONNECT_HELP}`,
};

export async function booksCommand(name: 'ledger' | 'report' | 'tenant', argv: string[], env: NodeJS.ProcessEnv = process.env, io: Io = consoleIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.err(`banyan ${name}: ${(e as Error).message}\n\n${HELP[name]}`);
    return EXIT.usage;
  }
  const o = parsed.values;
  if (o.help) {
    io.out(HELP[name]!);
    return EXIT.ok;
  }
  const client = new BanyanClient({ baseUrl: o.orchestrator ?? env.BANYAN_ORCHESTRATOR ?? DEFAULT_ORCHESTRATOR, token: o.token ?? env.BANYAN_TOKEN });
  const [sub, ...rest] = parsed.positionals;
  const usage = (why: string) => {
    io.err(`banyan ${name}: ${why}\n\n${HELP[name]}`);
    return EXIT.usage;
  };
  try {
    if (name === 'ledger') {
      if (sub === 'verify') return await verify(client, o.file, o.json === true, io);
      if (sub !== undefined) return usage(`unknown sub-command "${sub}"; use verify or none`);
      const q = new URLSearchParams();
      for (const k of ['kind', 'tenant', 'site', 'limit'] as const) if (o[k]) q.set(k, String(o[k]));
      const format = o.format ?? 'table';
      if (format === 'csv') return print(io, await client.getText(`/v1/ledger?${q}&format=csv`));
      const r = await client.get<{ entries: Record<string, unknown>[]; total: number }>(`/v1/ledger?${q}`);
      if (format === 'json') return print(io, JSON.stringify(r, null, 2));
      return print(io, ledgerTable(r.entries, r.total));
    }
    if (name === 'report') {
      const format = o.format ?? 'table';
      let path: string;
      if (sub === 'supply') {
        if (!o.period) return usage('supply needs --period, e.g. --period 2026H1');
        path = `/v1/reports/supply?period=${encodeURIComponent(o.period)}`;
      } else if (sub === 'demand') {
        if (!o.year) return usage('demand needs --year, e.g. --year 2026');
        path = `/v1/reports/demand?year=${encodeURIComponent(o.year)}`;
      } else if (sub === 'progress') path = '/v1/reports/progress';
      else return usage(`which report? supply, demand or progress${sub ? `, not "${sub}"` : ''}`);
      if (format === 'csv' || format === 'html') return print(io, await client.getText(`${path}${path.includes('?') ? '&' : '?'}format=${format}`));
      const json = await client.get<SupplyReport & DemandReport & ProgressReport>(path);
      if (format === 'json') return print(io, JSON.stringify(json, null, 2));
      const t = sub === 'supply' ? supplyTable(json) : sub === 'demand' ? demandTable(json) : progressTable(json);
      return print(io, tabular(t));
    }
    if (sub === 'list') {
      const r = await client.get<{ tenants: { tenant: string; plan: { unit: string; cnyPerUnit: number }; sinceYear: number }[] }>('/v1/tenants');
      return print(io, o.json ? JSON.stringify(r, null, 2) : table(['TENANT', 'PLAN', 'CNY PER UNIT', 'SINCE'], r.tenants.map((t) => [t.tenant, t.plan.unit, t.plan.cnyPerUnit, t.sinceYear]), { right: [2, 3] }));
    }
    if (sub === 'set') {
      const [tenant] = rest;
      if (!tenant || !o.plan || o.price === undefined) return usage('set needs TENANT, --plan and --price');
      const price = Number(o.price);
      if (!Number.isFinite(price) || price < 0) return usage(`--price must be a non-negative number of CNY, not "${o.price}"`);
      const body: Record<string, unknown> = { unit: o.plan, cnyPerUnit: price };
      if (o['since-year']) body.sinceYear = Number(o['since-year']);
      const e = await client.send<{ seq: number }>('PUT', `/v1/tenants/${encodeURIComponent(tenant)}`, body);
      return print(io, o.json ? JSON.stringify(e, null, 2) : `tenant ${tenant}: ${price} CNY per ${o.plan} (ledger entry ${e.seq})`);
    }
    return usage(`use set or list${sub ? `, not "${sub}"` : ''}`);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    io.err(apiErrorText(name, e));
    return e.exitCode;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CONNECT_OPTIONS,
      format: { type: 'string' },
      kind: { type: 'string' },
      tenant: { type: 'string' },
      site: { type: 'string' },
      limit: { type: 'string' },
      file: { type: 'string' },
      period: { type: 'string' },
      year: { type: 'string' },
      plan: { type: 'string' },
      price: { type: 'string' },
      'since-year': { type: 'string' },
    },
  });
}

async function verify(client: BanyanClient, file: string | undefined, json: boolean, io: Io): Promise<number> {
  let r: VerifyResult;
  if (file) {
    try {
      r = verifyChain(await new FileLedgerStore(file).readAll());
    } catch (e) {
      io.err(`banyan ledger verify: ${(e as Error).message}`);
      return EXIT.error;
    }
  } else r = await client.get<VerifyResult>('/v1/ledger/verify');
  if (json) io.out(JSON.stringify(r, null, 2));
  else if (r.ok) io.out(`ledger verifies: ${r.entries} entries, last hash ${r.lastHash}`);
  else io.err(`ledger is broken at seq ${r.brokenSeq} (entry ${r.index + 1}): ${r.reason}; ${r.entries} entries before it verify`);
  return r.ok ? EXIT.ok : EXIT.error;
}

function ledgerTable(entries: Record<string, unknown>[], total: number): string {
  const rows = entries.map((e): Cell[] => {
    const when = new Date(e.atMs as number).toISOString().slice(0, 19).replace('T', ' ');
    if (e.kind === 'usage')
      return [e.seq as number, when, 'usage', e.tenant as string, e.site as string, `${e.nodeId} [${(e.accelerators as unknown[]).length}]`, ((e.endMs as number) - (e.startMs as number)) / 3_600_000, e.pflopsHoursNominal as number, e.feeCny as number, e.closedBy as string];
    if (e.kind === 'tenant') {
      const p = e.plan as { unit: string; cnyPerUnit: number };
      return [e.seq as number, when, 'tenant', e.tenant as string, '', `${p.cnyPerUnit} CNY/${p.unit}`, '', '', '', `since ${String(e.sinceYear)}`];
    }
    return [e.seq as number, when, 'snapshot', '', '', `${String(e.day)}: ${String(e.nominalPflops)} P nominal`, '', '', '', ''];
  });
  return `${table(['SEQ', 'WRITTEN (UTC)', 'KIND', 'TENANT', 'SITE', 'WHAT', 'HOURS', 'PFLOPS-H', 'FEE CNY', 'NOTE'], rows, { right: [0, 6, 7, 8] })}\n(${entries.length} of ${total} entries)`;
}

function tabular(t: Tabular): string {
  return [t.title, '', table(t.headers.map((h) => label(h).toUpperCase()), t.rows), '', ...t.notes].join('\n');
}

function print(io: Io, text: string): number {
  io.out(text);
  return EXIT.ok;
}
