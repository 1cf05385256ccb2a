// Federation as an orchestrator plugin. As an upstream (members configured) it takes member
// cities' summaries and shows each member and their sum; as a member (an upstream configured) it
// sends its own summary upward on a period. Member tokens open only the federation routes: any
// other route refuses them (403), and no federation route shows a node, only summaries.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_SUMMARY_PERIOD_MS, FEDERATION_PREFIX, SummariesBodySchema, type Landmark } from '../../protocol/federation.ts';
import { authenticate, TokenBucket, type ApiToken } from '../api/auth.ts';
import type { Orchestrator } from '../orchestrator.ts';
import { Hub } from './hub.ts';
import { FUJIAN_LANDMARKS } from './landmarks.ts';
import { memberOf, type Member } from './members.ts';
import { OverflowDesk } from './overflow-desk.ts';
import { OverflowMember } from './overflow-member.ts';
import { citySummary } from './summary.ts';
import { UpstreamLink } from './upstream.ts';
import { remoteUsage } from '../ledger/remote-usage.ts';

export interface FederationOptions {
  /** This orchestrator's city id, as its upstream knows it. */
  city?: string;
  upstream?: { url: string; token: string };
  /** Member cities that may send summaries here (this orchestrator is their upstream). */
  members?: Member[];
  landmarks?: Landmark[];
  periodMs?: number;
  /** The API's operator tokens: a viewer token may read the federation views; none: open, as the API is. */
  apiTokens?: ApiToken[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The member city a federation token belongs to; null for anyone else. */
    federationMember: string | null;
  }
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

export function federationPlugin(opts: FederationOptions) {
  return function registerFederation(app: FastifyInstance, orch: Orchestrator): void {
    const periodMs = opts.periodMs ?? DEFAULT_SUMMARY_PERIOD_MS;
    const members = opts.members ?? [];
    const apiTokens = opts.apiTokens ?? [];
    const landmarks = opts.landmarks ?? [...FUJIAN_LANDMARKS];
    const hub = new Hub(members.map((m) => m.city), periodMs);
    const desk = new OverflowDesk(() => landmarks);
    const writes = new TokenBucket(120, Date.now);

    app.decorateRequest('federationMember', null);
    // Every route: a member token is good for the federation routes only, open API or not.
    app.addHook('onRequest', async (req, reply) => {
      const member = memberOf(req.headers.authorization, members);
      req.federationMember = member;
      if (member && !req.url.startsWith(FEDERATION_PREFIX)) {
        return reply.code(403).send({ error: 'forbidden', message: `member "${member}" has a federation token: it may call ${FEDERATION_PREFIX}… only, not ${req.method} ${req.url.split('?')[0]}` });
      }
    });

    /** A member city, or (for reads) an operator's viewer token, or anyone while the API is open. */
    const memberOrViewer = async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.federationMember || apiTokens.length === 0) return;
      const p = authenticate(req.headers.authorization, apiTokens);
      if (!p) return reply.code(401).header('www-authenticate', 'Bearer realm="banyan"').send({ error: 'unauthorized', message: 'send a member city\'s federation token or a viewer API token as "Authorization: Bearer <token>"' });
      if (RANK[p.role] < RANK.viewer) return reply.code(403).send({ error: 'forbidden', message: `token "${p.name}" may not read the federation` });
    };
    const memberOnly = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!req.federationMember) return reply.code(401).header('www-authenticate', 'Bearer realm="banyan"').send({ error: 'unauthorized', message: 'only member cities post here: send the city\'s federation token (banyan federation member add issues one)' });
      const wait = writes.take(req.federationMember);
      if (wait > 0) return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).send({ error: 'rate_limited', message: `too many posts; retry in ${Math.ceil(wait / 1000)} s` });
    };
    // The API's own token check stands aside on these routes ('public'); the hooks above decide.
    const federation = { config: { role: 'public' as const } };

    // Checked with TypeBox, not the API's ajv: ajv coerces types (a null RTT or usage in a nullable
    // union would arrive as 0), and a member's figures must arrive as sent.
    app.post('/v1/federation/summaries', { ...federation, onRequest: memberOnly }, async (req, reply) => {
      const city = req.federationMember!;
      if (!Value.Check(SummariesBodySchema, req.body)) {
        const first = Value.Errors(SummariesBodySchema, req.body).First();
        return reply.code(400).send({ error: 'invalid_body', message: `not a federation summaries body: ${first ? `${first.path || '/'} ${first.message}` : 'unreadable'}` });
      }
      const { summaries, overflow } = req.body;
      const foreign = summaries.find((s) => s.city !== city);
      if (foreign) return reply.code(403).send({ error: 'forbidden', message: `member "${city}" may send only its own summaries, not city "${foreign.city}"'s` });
      const accepted = hub.accept(city, summaries);
      if (!overflow) return { ...accepted, landmarks, periodMs };
      const fresh = hub.members().map((m) => ({ city: m.city, latest: m.status === 'fresh' ? m.latest : null }));
      return { ...accepted, landmarks, periodMs, overflow: desk.exchange(city, overflow, fresh) };
    });

    app.get('/v1/federation/landmarks', { ...federation, onRequest: memberOrViewer }, async () => ({ landmarks, periodMs }));

    app.get('/v1/federation/members', { ...federation, onRequest: memberOrViewer }, async () => ({ periodMs, members: hub.members() }));

    app.get('/v1/federation/members/:city/history', { ...federation, onRequest: memberOrViewer }, async (req, reply) => {
      const { city } = req.params as { city: string };
      if (!members.some((m) => m.city === city)) return reply.code(404).send({ error: 'not_found', message: `no member city "${city}"; GET /v1/federation/members lists them` });
      return { city, summaries: hub.history(city).map(({ seq, atMs, nominal, measured, nodes }) => ({ seq, atMs, nominal, measured, nodes })) };
    });

    app.get('/v1/federation/summary', { ...federation, onRequest: memberOrViewer }, async () => ({ atMs: Date.now(), ...hub.totals() }));

    // Overflow across members: who asked, where it went and why. Members see it too (ids, cities
    // and reasons; no node of any city).
    app.get('/v1/federation/overflow', { ...federation, onRequest: memberOrViewer }, async () => ({ ...desk.stats(), entries: desk.list() }));

    let link: UpstreamLink | null = null;
    if (opts.upstream) {
      if (!opts.city) throw new Error('an upstream needs this city\'s id: pass --city ID (as the upstream\'s members file names it)');
      const city = opts.city;
      const overflow = new OverflowMember({
        manager: orch.workloads,
        locate: (t) => orch.latency.locate(t),
        ledger: () => orch.books?.ledger ?? null,
        isOpen: (id) => orch.books?.usage.isOpen(id) ?? false,
        where: (id) => {
          const loc = orch.registry.get(id)?.birth?.location;
          return loc ? { site: loc.site, district: loc.district } : undefined;
        },
        log: orch.log,
      });
      link = new UpstreamLink({
        city,
        url: opts.upstream.url,
        token: opts.upstream.token,
        periodMs,
        log: orch.log,
        summarize: (seq, atMs, lm) => citySummary(city, seq, atMs, { nodes: () => orch.registry.all(), fleet: orch.fleet, latency: orch.latency }, lm),
        // Only the leader places and runs work; a standby sends summaries and nothing else.
        overflow: { body: () => (orch.leads() ? overflow.body() : Promise.resolve(undefined)), apply: (r, sent) => orch.leads() && overflow.apply(r, sent) },
      });
      const nudge = () => link?.nudge();
      orch.events.on('overflow-wanted', nudge);
      link.start();
      app.addHook('onClose', async () => {
        orch.events.off('overflow-wanted', nudge);
        await link!.stop();
      });
    }
    // This city's work that ran elsewhere, with the usage the running cities' ledgers hold for it.
    app.get('/v1/ledger/overflow', { config: { role: 'viewer' } }, async () =>
      remoteUsage(orch.workloads.list(), (t) => orch.books?.ledger.tenant(t)?.plan ?? null),
    );
    // The operator's view of this city's link upward.
    app.get('/v1/federation/upstream', { config: { role: 'viewer' } }, async (_req, reply) =>
      link ? link.view() : reply.code(404).send({ error: 'not_found', message: 'no upstream configured; start with --upstream URL --upstream-token TOKEN --city ID' }),
    );
  };
}
