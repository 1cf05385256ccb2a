// The books over HTTP: the ledger (JSON or CSV), its verification, tenants' price plans, and the
// supply, demand and progress reports as JSON, CSV or a printable HTML page.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Books } from '../ledger/books.ts';
import type { LedgerEntry } from '../ledger/entries.ts';
import { toCsv } from '../reports/csv.ts';
import { demandReport } from '../reports/demand.ts';
import { parsePeriod } from '../reports/period.ts';
import { progressReport } from '../reports/progress.ts';
import { demandTable, progressTable, reportHtml, supplyTable, type Tabular } from '../reports/render.ts';
import { supplyReport } from '../reports/supply.ts';

const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')]));

const LEDGER_COLUMNS = ['seq', 'atMs', 'kind', 'tenant', 'site', 'nodeId', 'workloadId', 'startMs', 'endMs', 'closedBy', 'nominalTflops', 'measuredTflops', 'pflopsHoursNominal', 'pflopsHoursMeasured', 'acceleratorHours', 'feeCny', 'day', 'nominalPflops', 'domesticPflops', 'prevHash', 'hash'] as const;

/** `books` may be a getter: a new leader re-opens them from the store. */
export function ledgerRoutes(app: FastifyInstance, booksOrGetter: Books | (() => Books)): void {
  const current = typeof booksOrGetter === 'function' ? booksOrGetter : () => booksOrGetter;
  app.get(
    '/v1/ledger',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: Type.Object({
          kind: Type.Optional(Type.Union([Type.Literal('usage'), Type.Literal('tenant'), Type.Literal('snapshot')])),
          tenant: Type.Optional(Type.String()),
          site: Type.Optional(Type.String()),
          afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query as { kind?: string; tenant?: string; site?: string; afterSeq?: number; limit?: number; format?: string };
      const limit = q.limit ?? 1000;
      const out: LedgerEntry[] = [];
      for (const e of current().ledger.entries()) {
        if (e.seq <= (q.afterSeq ?? 0)) continue;
        if (q.kind && e.kind !== q.kind) continue;
        if (q.tenant && (e as { tenant?: string }).tenant !== q.tenant) continue;
        if (q.site && (e as { site?: string }).site !== q.site) continue;
        out.push(e);
        if (out.length >= limit) break;
      }
      if (q.format === 'csv') {
        return csv(reply, 'ledger.csv', toCsv([...LEDGER_COLUMNS], out.map((e) => LEDGER_COLUMNS.map((c) => (e as Record<string, unknown>)[c]))));
      }
      return { entries: out, total: current().ledger.size, next: out.length === limit ? out.at(-1)!.seq : null };
    },
  );

  app.get('/v1/ledger/verify', { config: { role: 'viewer' } }, async () => current().ledger.verify());

  app.post('/v1/ledger/snapshot', { config: { role: 'operator' } }, async () => {
    await current().snapshotIfDue(true);
    const last = current().ledger.entries().at(-1)!;
    return last;
  });

  app.get('/v1/tenants', { config: { role: 'viewer' } }, async () => ({ tenants: current().ledger.allTenants().map(({ tenant, plan, sinceYear }) => ({ tenant, plan, sinceYear })) }));

  app.put(
    '/v1/tenants/:id',
    {
      config: { role: 'operator' },
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object(
          {
            unit: Type.Union([Type.Literal('pflops-hour'), Type.Literal('accelerator-hour')]),
            cnyPerUnit: Type.Number({ minimum: 0, maximum: 1e9 }),
            sinceYear: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const b = req.body as { unit: 'pflops-hour' | 'accelerator-hour'; cnyPerUnit: number; sinceYear?: number };
      const since = b.sinceYear ?? current().ledger.tenant(id)?.sinceYear ?? new Date().getFullYear();
      const [e] = await current().ledger.setTenant(id, { unit: b.unit, cnyPerUnit: b.cnyPerUnit }, since);
      return e;
    },
  );

  app.get(
    '/v1/reports/supply',
    { config: { role: 'viewer' }, schema: { querystring: Type.Object({ period: Type.String({ pattern: '^\\d{4}H[12]$', description: 'a half-year, e.g. 2026H1' }), format: Format }) } },
    async (req, reply) => {
      const q = req.query as { period: string; format?: string };
      const r = supplyReport(current().ledger.entries(), q.period, { utcOffsetMinutes: current().utcOffsetMinutes, liveCapacity: current().liveCapacity() });
      return send(reply, q.format, `supply-${q.period}`, r, supplyTable(r));
    },
  );

  app.get(
    '/v1/reports/demand',
    { config: { role: 'viewer' }, schema: { querystring: Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2100 }), format: Format }) } },
    async (req, reply) => {
      const q = req.query as { year: number; format?: string };
      parsePeriod(String(q.year));
      const r = demandReport(current().ledger.entries(), q.year, { utcOffsetMinutes: current().utcOffsetMinutes });
      return send(reply, q.format, `demand-${q.year}`, r, demandTable(r));
    },
  );

  app.get('/v1/reports/progress', { config: { role: 'viewer' }, schema: { querystring: Type.Object({ format: Format }) } }, async (req, reply) => {
    const q = req.query as { format?: string };
    const r = progressReport(current().ledger.entries());
    return send(reply, q.format, 'progress', r, progressTable(r));
  });
}

function send(reply: FastifyReply, format: string | undefined, name: string, json: unknown, t: Tabular) {
  if (format === 'csv') return csv(reply, `${name}.csv`, toCsv(t.headers, t.rows));
  if (format === 'html') return reply.header('content-type', 'text/html; charset=utf-8').send(reportHtml('Banyan — city compute platform report', [t], new Date().toISOString()));
  return json;
}

function csv(reply: FastifyReply, file: string, body: string) {
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(body);
}
