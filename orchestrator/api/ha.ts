// High availability over HTTP: GET /v1/ha says who leads; a standby turns writes away with 503
// naming the leader; with a shared store a write is acknowledged only after its state is committed.
import type { FastifyInstance } from 'fastify';
import type { LeaseView } from '../ha/lease.ts';

export interface HaSubject {
  readonly id: string;
  readonly leadership: { readonly view: LeaseView };
  readonly fencedCommands: number;
  leads(): boolean;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function haRoutes(app: FastifyInstance, o: HaSubject, commit: (() => Promise<void>) | null): void {
  app.get('/v1/ha', { config: { role: 'viewer' } }, async () => haStatus(o));

  app.addHook('onRequest', async (req, reply) => {
    if (READS.has(req.method) || o.leads()) return;
    const v = o.leadership.view;
    const where = v.leaderId ? `the leader is ${v.leaderId}${v.leaderUrl ? ` at ${v.leaderUrl}` : ''}` : 'no leader yet; retry in a few seconds';
    return reply.code(503).header('retry-after', '2').send({ error: 'not_leader', message: `this orchestrator is a standby: ${where}`, leaderId: v.leaderId, leaderUrl: v.leaderUrl });
  });

  if (!commit) return;
  app.addHook('onSend', async (req, reply, payload) => {
    if (READS.has(req.method) || reply.statusCode >= 400) return payload;
    try {
      await commit();
      return payload;
    } catch (e) {
      void reply.code(503);
      return JSON.stringify({ error: 'not_committed', message: `the change was not committed to the store (${(e as Error).message}); check GET before retrying` });
    }
  });
}

export function haStatus(o: HaSubject): { id: string; role: string; epoch: number; leaderId: string; leaderUrl: string; fencedCommands: number } {
  const v = o.leadership.view;
  return { id: o.id, role: o.leads() ? 'leader' : 'standby', epoch: v.epoch, leaderId: v.leaderId, leaderUrl: v.leaderUrl, fencedCommands: o.fencedCommands };
}
