// GET /v1/resolve/:workload?near=SITE|LAT,LON — the workload's healthy instances, nearest first
// (orchestrator/resolve/nearest.ts). A client asks once and connects to the first.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { LatencyModel } from '../latency/model.ts';
import type { Registry } from '../registry.ts';
import { nearestInstances, parseNear } from '../resolve/nearest.ts';
import type { Workload, WorkloadManager } from '../workloads/manager.ts';
import { TERMINAL } from '../workloads/workload.ts';

export interface ResolveContext {
  manager: WorkloadManager;
  registry: Pick<Registry, 'get'>;
  latency: LatencyModel;
  landmarks: readonly string[];
  clock?: () => number;
}

type Lookup = { ok: true; id: string; records: Workload[] } | { ok: false; status: 404 | 409; message: string };

/** A workload by id (a plain one, a set, or one replica: its set), else by name among live ones. */
export function lookupWorkload(manager: WorkloadManager, key: string): Lookup {
  const w = manager.get(key);
  if (w) return w.replica ? { ok: true, id: w.replica.set, records: manager.replicas(w.replica.set) } : { ok: true, id: w.id, records: [w] };
  const set = manager.replicas(key);
  if (set.length) return { ok: true, id: key, records: set };
  const ids = new Set(manager.list().filter((x) => x.spec.name === key && !TERMINAL.has(x.state)).map((x) => x.replica?.set ?? x.id));
  if (ids.size === 1) return lookupWorkload(manager, [...ids][0]!);
  if (ids.size > 1) return { ok: false, status: 409, message: `${ids.size} live workloads are named "${key}" (${[...ids].join(', ')}); resolve one by id` };
  return { ok: false, status: 404, message: `no workload "${key}" (by id, or by name among live ones); GET /v1/workloads lists them` };
}

export function resolveRoutes(app: FastifyInstance, ctx: ResolveContext): void {
  const clock = ctx.clock ?? Date.now;
  app.get(
    '/v1/resolve/:workload',
    {
      config: { role: 'viewer' },
      schema: {
        params: Type.Object({ workload: Type.String({ minLength: 1, maxLength: 128 }) }),
        querystring: Type.Object({ near: Type.Optional(Type.String({ maxLength: 200 })) }),
      },
    },
    async (req, reply) => {
      const { workload } = req.params as { workload: string };
      const { near } = req.query as { near?: string };
      const where = parseNear(near, ctx.latency);
      if (!where.ok) return reply.code(400).send({ error: 'bad_near', message: where.message });
      const found = lookupWorkload(ctx.manager, workload);
      if (!found.ok) return reply.code(found.status).send({ error: found.status === 404 ? 'not_found' : 'conflict', message: found.message });
      const nowMs = clock();
      const { instances, excluded } = nearestInstances(found.records, where.target, {
        node: (id) => ctx.registry.get(id),
        latency: ctx.latency,
        landmarks: ctx.landmarks,
        nowMs,
      });
      return { workload: found.id, name: found.records[0]!.spec.name, near: where.target, atMs: nowMs, instances, excluded };
    },
  );
}
