// Workload routes: submit, list, inspect, stop, move, explain. Invalid specs get 400 with every
// field error named.
import type { LatencyModel } from '../latency/model.ts';
import { unknownTargetErrors } from '../workloads/target-check.ts';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Workload, WorkloadManager } from '../workloads/manager.ts';
import { setState } from '../workloads/replicas.ts';

export interface WorkloadView {
  id: string;
  name: string;
  tenant: string;
  class: string;
  priority: number;
  state: string;
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  maxRttMs: number | null;
  latencyTo: unknown;
  createdAtMs: number;
  exitCode: number | null;
  message: string;
  history: Workload['history'];
  spec: Workload['spec'];
  /** Set on a replica: its set's id and its index. */
  replica: Workload['replica'];
  /** Sent to another city of the federation: where it went and why, its state and usage there. */
  overflow: Workload['overflow'];
  /** Run here for another city: which city and workload asked. */
  origin: Workload['origin'];
  /** A replicated workload (GET by its set id): how many, kept apart by what, and each replica. */
  replicas?: number;
  spread?: string;
  instances?: WorkloadView[];
}

/** A replica set as one workload: the spec's fields, the least advanced state, and each replica. */
export function replicaSetView(setId: string, replicas: readonly Workload[]): WorkloadView {
  const first = replicas[0]!;
  const running = replicas.filter((r) => r.state === 'running').length;
  const waiting = replicas.find((r) => r.state === 'pending');
  return {
    ...workloadView(first),
    id: setId,
    state: setState(replicas),
    nodeId: null,
    acceleratorIndexes: [],
    rttMs: null,
    rttMeasured: false,
    exitCode: null,
    message: `${running} of ${replicas.length} replicas running${waiting ? `; ${waiting.id}: ${waiting.history.at(-1)?.reason ?? 'pending'}` : ''}`,
    history: [],
    replica: null,
    replicas: first.spec.replicas,
    spread: first.spec.spread,
    instances: replicas.map(workloadView),
  };
}

export function workloadView(w: Workload): WorkloadView {
  return {
    id: w.id,
    name: w.spec.name,
    tenant: w.spec.tenant,
    class: w.spec.class,
    priority: w.spec.priority,
    state: w.state,
    nodeId: w.nodeId,
    acceleratorIndexes: w.acceleratorIndexes,
    rttMs: w.rttMs,
    rttMeasured: w.rttMeasured,
    maxRttMs: w.spec.latency?.maxRttMs ?? null,
    latencyTo: w.spec.latency?.to ?? null,
    createdAtMs: w.createdAtMs,
    exitCode: w.exitCode,
    message: w.message,
    history: w.history,
    spec: w.spec,
    replica: w.replica,
    overflow: w.overflow,
    origin: w.origin,
  };
}

const IdParams = { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }) };

function notFound(id: string) {
  return { error: 'not_found', message: `no workload "${id}"; GET /v1/workloads lists them` };
}

/**
 * `settled` resolves once what a change wrote to the ledger is durable: a stop or move is
 * acknowledged only after the usage it closed is on disk.
 */
export function workloadRoutes(app: FastifyInstance, manager: WorkloadManager, latency: Pick<LatencyModel, 'knows' | 'names'>, settled: () => Promise<void> = async () => {}): void {
  app.post('/v1/workloads', { config: { role: 'operator' } }, async (req, reply) => {
    const unknown = unknownTargetErrors(req.body, latency);
    if (unknown.length) return reply.code(400).send({ error: 'invalid_spec', message: `the workload spec has ${unknown.length} problem(s)`, errors: unknown });
    const r = manager.submit(req.body);
    if (!r.ok) return reply.code(400).send({ error: 'invalid_spec', message: `the workload spec has ${r.errors.length} problem(s)`, errors: r.errors });
    return reply.code(201).send(r.replicas ? replicaSetView(r.workload.replica!.set, r.replicas) : workloadView(r.workload));
  });

  app.get('/v1/workloads', { config: { role: 'viewer' }, schema: { querystring: Type.Object({ state: Type.Optional(Type.String()), node: Type.Optional(Type.String()) }) } }, async (req) => {
    const { state, node } = req.query as { state?: string; node?: string };
    const workloads = manager
      .list()
      .filter((w) => (!state || w.state === state) && (!node || w.nodeId === node))
      .map(workloadView);
    return { workloads };
  });

  app.get('/v1/workloads/:id', { config: { role: 'viewer' }, schema: IdParams }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const w = manager.get(id);
    if (w) return workloadView(w);
    const set = manager.replicas(id);
    return set.length ? replicaSetView(id, set) : reply.code(404).send(notFound(id));
  });

  app.get('/v1/workloads/:id/explain', { config: { role: 'viewer' }, schema: IdParams }, async (req, reply) => {
    const { id } = req.params as { id: string };
    // A set is explained by its first replica without a node (else its first): why it is short.
    const set = manager.get(id) ? [] : manager.replicas(id);
    const which = (set.find((r) => r.state === 'pending') ?? set[0])?.id ?? id;
    const e = manager.explain(which);
    return e ? { workload: which, ...e } : reply.code(404).send(notFound(id));
  });

  app.delete('/v1/workloads/:id', { config: { role: 'operator' }, schema: IdParams }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const w = manager.stop(id);
    if (w) await settled();
    if (w?.replica?.set === id) return replicaSetView(id, manager.replicas(id));
    return w ? workloadView(w) : reply.code(404).send(notFound(id));
  });

  app.post(
    '/v1/workloads/:id/move',
    { config: { role: 'operator' }, schema: { ...IdParams, body: Type.Object({ to: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const { to } = req.body as { to: string };
      if (!manager.get(id) && manager.replicas(id).length) {
        return reply.code(409).send({ error: 'conflict', message: `${id} is a replicated workload; move one replica (${manager.replicas(id).map((r) => r.id).join(', ')})` });
      }
      const r = manager.move(id, to);
      if (!r.ok) return reply.code(r.status).send({ error: r.status === 404 ? 'not_found' : 'conflict', message: r.message, explain: r.explain });
      await settled();
      return workloadView(r.workload);
    },
  );
}
