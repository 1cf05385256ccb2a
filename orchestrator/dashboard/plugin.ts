// The operator dashboard as an orchestrator plugin: the page and its assets (files shipped in
// static/, no build step, no CDN), the live feed GET /v1/events, and GET /v1/geography, the
// districts and sites the schematic map is drawn from.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Orchestrator } from '../orchestrator.ts';
import { DISTRICTS, SITES } from '../geo/city.ts';
import { LiveFeed, type LiveFeedOptions } from './live-feed.ts';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** The only files served: a fixed list, so no request path ever reaches the file system. */
const ASSETS: Readonly<Record<string, string>> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'map.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
};

export interface Geography {
  districts: { id: string; name: string; lat: number; lon: number; urban: boolean }[];
  sites: { id: string; kind: string; district: string; lat: number; lon: number; landmark: boolean }[];
}

export function geography(): Geography {
  return {
    districts: DISTRICTS.map(({ id, name, lat, lon, urban }) => ({ id, name, lat, lon, urban })),
    sites: SITES.map(({ id, kind, district, lat, lon, landmark }) => ({ id, kind, district, lat, lon, landmark })),
  };
}

async function asset(name: string): Promise<string> {
  return readFile(STATIC_DIR + name, 'utf8');
}

export function createDashboardPlugin(feedOptions: LiveFeedOptions = {}) {
  return async function dashboardPlugin(app: FastifyInstance, orchestrator: Orchestrator): Promise<void> {
    const feed = new LiveFeed(orchestrator, feedOptions);
    // preClose: the server waits for open connections, and an event stream never ends by itself.
    app.addHook('preClose', async () => feed.close());

    const index = await asset('index.html');
    app.get('/', { config: { role: 'public' } }, async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(index));

    app.get('/assets/:file', { config: { role: 'public' }, schema: { params: Type.Object({ file: Type.String() }) } }, async (req, reply) => {
      const { file } = req.params as { file: string };
      const type = ASSETS[file];
      if (!type) return reply.code(404).send({ error: 'not_found', message: `no dashboard asset "${file}"` });
      return reply.header('content-type', type).header('cache-control', 'no-cache').send(await asset(file));
    });

    // The page and the map's geography carry nothing secret; the fleet's data needs a viewer token.
    app.get('/v1/geography', { config: { role: 'public' } }, async () => geography());

    app.get('/v1/events', async (req, reply) => {
      reply.hijack();
      if (!feed.attach(reply.raw)) {
        reply.raw.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
        reply.raw.end(JSON.stringify({ error: 'too_many_streams', message: 'too many live dashboards are open; close one and retry' }));
      }
      req.raw.on('close', () => reply.raw.end());
    });
  };
}

/** The dashboard with the default feed settings (≤1 summary per second). */
export const dashboardPlugin = createDashboardPlugin();
