// The orchestrator's HTTP API (fastify). Routes register in groups so later parts (workloads,
// metrics, dashboard) add theirs without touching these.
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.ts';
import { fleetSummary, nodeView } from '../views.ts';
import { ErrorSchema, FleetSummarySchema, NodeSchema } from './schemas.ts';
import { formatValidationErrors } from './validation-errors.ts';
import { useJsonBodyParser } from './json-body.ts';

export interface ApiContext {
  registry: Registry;
  health: () => { ok: boolean; mqtt: boolean; nodes: number };
}

export function buildApi(ctx: ApiContext, opts: { logger?: boolean } = {}): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 256 * 1024,
    // verbose: errors carry the offending value, so a message can say what was refused.
    ajv: { customOptions: { verbose: true } },
    schemaErrorFormatter: formatValidationErrors,
  });
  // Duplicate keys, __proto__ / constructor.prototype and -0 are judged here, and named when refused.
  useJsonBodyParser(app);

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}; see GET /v1/nodes, /v1/fleet/summary, /healthz` });
  });
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).send({ error: status === 500 ? 'internal' : (err.code ?? 'bad_request'), message: err.message });
  });

  app.get('/healthz', async () => ctx.health());

  app.get(
    '/v1/nodes',
    {
      schema: {
        querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')])) }),
        response: { 200: Type.Object({ nodes: Type.Array(NodeSchema) }) },
      },
    },
    async (req) => {
      const { status } = req.query as { status?: string };
      const nodes = [...ctx.registry.all()]
        .filter((n) => !status || n.status === status)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(nodeView);
      return { nodes };
    },
  );

  app.get(
    '/v1/nodes/:id',
    { schema: { params: Type.Object({ id: Type.String() }), response: { 200: NodeSchema, 404: ErrorSchema } } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const n = ctx.registry.get(id);
      if (!n) return reply.code(404).send({ error: 'not_found', message: `no node "${id}"; GET /v1/nodes lists the known ones` });
      return nodeView(n);
    },
  );

  app.get('/v1/fleet/summary', { schema: { response: { 200: FleetSummarySchema } } }, async () => fleetSummary(ctx.registry.all()));

  return app;
}
