// The books end to end on a seeded simulated fleet: tenants with price plans, workloads placed and
// stopped through the API, usage on disk before the stop is acknowledged, and the reports'
// figures checked against figures computed here from the scenario and the workloads' history.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, lookup, nominalFp16, type Catalog } from '../../../agent/catalog/catalog.ts';
import { startTestFleet, type TestFleet } from '../../helpers/fleet.ts';
import { SCENARIO } from '../dashboard/harness.ts';
import { waitFor } from '../../helpers/wait.ts';
import { localDay } from '../../../orchestrator/reports/period.ts';
import { booksCommand } from '../../../orchestrator/cli/books.ts';

interface WorkloadJson {
  id: string;
  state: string;
  nodeId: string;
  acceleratorIndexes: number[];
  history: { state: string; atMs: number; nodeId: string | null }[];
}

describe('the books on a simulated fleet', () => {
  let t: TestFleet;
  let dataDir: string;
  let catalog: Catalog;
  const api = (path: string, init?: RequestInit) => fetch(`${t.orch.httpUrl}${path}`, init);
  const json = async <T>(path: string, init?: RequestInit) => (await (await api(path, init)).json()) as T;
  const tflopsOf = (pack: { vendor: string; model: string }) =>
    nominalFp16(catalog, lookup(catalog, { vendor: pack.vendor as never, model: pack.model }), pack.model).tflops!;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'banyan-books-'));
    catalog = await loadCatalog();
    t = await startTestFleet({ scenario: SCENARIO, orchestrator: { dataDir } });
    await waitFor('fleet online', () => [...t.orch.registry.all()].filter((n) => n.status === 'online').length === SCENARIO.nodes);
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps usage and fees, durable before the stop answers, and reports them as computed by hand', async () => {
    const put = (id: string, body: unknown) => api(`/v1/tenants/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('acme', { unit: 'pflops-hour', cnyPerUnit: 3_600_000, sinceYear: 2026 })).status).toBe(200);
    expect((await put('bolt', { unit: 'accelerator-hour', cnyPerUnit: 7_200, sinceYear: 2025 })).status).toBe(200);
    expect((await put('bad', { unit: 'per-byte', cnyPerUnit: 1 })).status).toBe(400);

    const submit = async (name: string, tenant: string, accelerators: number) => {
      const r = await api('/v1/workloads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, tenant, class: 'batch', needs: { accelerators }, run: { runner: 'simulated', durationMs: 600_000 } }),
      });
      expect(r.status).toBe(201);
      return ((await r.json()) as { id: string }).id;
    };
    const ids = [await submit('job-a', 'acme', 2), await submit('job-b', 'bolt', 1)];
    for (const id of ids) await waitFor(`${id} running`, async () => (await json<WorkloadJson>(`/v1/workloads/${id}`)).state === 'running');
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ids) {
      expect((await api(`/v1/workloads/${id}`, { method: 'DELETE' })).status).toBe(200);
      // Acknowledged means on disk: the entry is in the file now, before any shutdown.
      const lines = readFileSync(join(dataDir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; workloadId?: string });
      expect(lines.some((e) => e.kind === 'usage' && e.workloadId === id)).toBe(true);
    }

    // By hand: each workload's cards from the scenario's catalogue figures, its time from its own history.
    const expected = new Map<string, { fee: number; pflopsHours: number; site: string }>();
    for (const id of ids) {
      const w = await json<WorkloadJson>(`/v1/workloads/${id}`);
      const spec = t.fleet.specs.find((s) => s.id === w.nodeId)!;
      const tflops = tflopsOf(spec.pack);
      const placed = w.history.find((h) => h.state === 'placed')!.atMs;
      const stopped = w.history.find((h) => h.state === 'stopped')!.atMs;
      const hours = (stopped - placed) / 3_600_000;
      const pflopsHours = ((tflops * w.acceleratorIndexes.length) / 1000) * hours;
      const fee = id === ids[0] ? pflopsHours * 3_600_000 : w.acceleratorIndexes.length * hours * 7_200;
      expected.set(id, { fee, pflopsHours, site: spec.site.id });
    }
    const ledger = await json<{ entries: { kind: string; workloadId: string; feeCny: number; pflopsHoursNominal: number; site: string }[] }>('/v1/ledger?kind=usage');
    for (const id of ids) {
      const e = ledger.entries.filter((x) => x.workloadId === id);
      expect(e).toHaveLength(1);
      expect(e[0]!.site).toBe(expected.get(id)!.site);
      expect(e[0]!.pflopsHoursNominal).toBeCloseTo(expected.get(id)!.pflopsHours, 9);
      expect(e[0]!.feeCny).toBeCloseTo(expected.get(id)!.fee, 1);
    }

    // Capacity by hand from the scenario: every node's pack at its catalogue figure.
    await api('/v1/ledger/snapshot', { method: 'POST' });
    const bySite = new Map<string, number>();
    for (const s of t.fleet.specs) {
      const tflops = tflopsOf(s.pack);
      bySite.set(s.site.id, (bySite.get(s.site.id) ?? 0) + (tflops * s.pack.count) / 1000);
    }
    const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
    const half = new Date(Date.now() + 8 * 3_600_000).getUTCMonth() < 6 ? 'H1' : 'H2';
    const supply = await json<{ sites: { site: string; nominalPflops: number; soldUsedCny: number; eligible: boolean; misses: string[] }[]; capacityFrom: string }>(`/v1/reports/supply?period=${year}${half}`);
    expect(supply.capacityFrom).toBe(`ledger snapshot of ${localDay(Date.now())}`);
    for (const [site, p] of bySite) expect(supply.sites.find((s) => s.site === site)!.nominalPflops).toBeCloseTo(p, 6);
    for (const [, e] of expected) expect(supply.sites.find((s) => s.site === e.site)!.soldUsedCny).toBeGreaterThanOrEqual(Math.floor(e.fee * 100) / 100 - 0.01);
    // A 4-node fleet is far below 100 P: every site says by how much.
    expect(supply.sites.every((s) => !s.eligible && s.misses[0]!.startsWith('nominal '))).toBe(true);

    const demand = await json<{ tenants: { tenant: string; purchasesCny: number; band: string; yearOnPlatform: number }[] }>(`/v1/reports/demand?year=${year}`);
    const acme = demand.tenants.find((x) => x.tenant === 'acme')!;
    expect(acme.purchasesCny).toBeCloseTo(expected.get(ids[0]!)!.fee, 1);
    expect(demand.tenants.find((x) => x.tenant === 'bolt')!.yearOnPlatform).toBe(year - 2025 + 1);

    const csv = await api(`/v1/reports/supply?period=${year}${half}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toBe('site,nominal_p,domestic_share,eligible,sold_used_cny,used_p_years,subsidy_before_cap_cny,subsidy_cny,misses');
    const html = await (await api(`/v1/reports/demand?year=${year}&format=html`)).text();
    expect(html).toContain('<h2>Demand subsidy, ');
    expect(html).toContain('acme');
    expect(await json('/v1/ledger/verify')).toMatchObject({ ok: true });
  });

  it('the CLI sets plans, prints the reports, and `ledger verify --file` names a tampered entry', async () => {
    const env = { BANYAN_ORCHESTRATOR: t.orch.httpUrl };
    const run = async (name: 'ledger' | 'report' | 'tenant', args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await booksCommand(name, args, env, { out: (x) => out.push(x), err: (x) => err.push(x) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    expect((await run('tenant', ['set', 'cola', '--plan', 'accelerator-hour', '--price', '12.5'])).out).toMatch(/^tenant cola: 12.5 CNY per accelerator-hour \(ledger entry \d+\)$/);
    expect((await run('tenant', ['set', 'cola', '--plan', 'accelerator-hour', '--price', 'lots'])).code).toBe(2);
    expect((await run('tenant', ['list'])).out).toMatch(/^cola\s+accelerator-hour\s+12.5/m);
    const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
    const supply = await run('report', ['supply', '--period', `${year}H1`]);
    expect(supply.code).toBe(0);
    expect(supply.out).toMatch(/^Supply subsidy, \d{4}H1/);
    expect(supply.out).toMatch(/^SITE\s+NOMINAL P\s+DOMESTIC SHARE\s+ELIGIBLE/m);
    expect((await run('report', ['supply'])).code).toBe(2);
    expect((await run('report', ['demand', '--year', String(year), '--format', 'csv'])).out.split('\r\n')[0]).toBe('tenant,purchases_cny,year_on_platform,band,rate,subsidy_cny,capped,note');
    expect((await run('report', ['progress', '--format', 'html'])).out).toContain('<h2>City progress against 400 P FP16-eq</h2>');
    expect((await run('ledger', ['verify'])).out).toMatch(/^ledger verifies: \d+ entries/);
    expect((await run('ledger', ['--kind', 'usage'])).out).toMatch(/usage\s+acme/);

    const copy = join(dataDir, 'copy.jsonl');
    copyFileSync(join(dataDir, 'ledger.jsonl'), copy);
    expect((await run('ledger', ['verify', '--file', copy])).code).toBe(0);
    const lines = readFileSync(copy, 'utf8').trim().split('\n');
    const i = lines.findIndex((l) => l.includes('"kind":"usage"'));
    const entry = JSON.parse(lines[i]!) as { seq: number; feeCny: number };
    lines[i] = JSON.stringify({ ...entry, feeCny: entry.feeCny / 10 });
    writeFileSync(copy, lines.join('\n') + '\n');
    const broken = await run('ledger', ['verify', '--file', copy]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain(`ledger is broken at seq ${entry.seq}`);
  });
});
