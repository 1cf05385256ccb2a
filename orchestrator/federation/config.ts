// `banyan orchestrator`'s federation flags (and their environment variables) into the plugin.
import type { ApiToken } from '../api/auth.ts';
import type { FastifyInstance } from 'fastify';
import type { Orchestrator } from '../orchestrator.ts';
import { DEFAULT_SUMMARY_PERIOD_MS } from '../../protocol/federation.ts';
import { loadLandmarks } from './landmarks.ts';
import { loadMembers } from './members.ts';
import { federationPlugin } from './plugin.ts';

export const FEDERATION_FLAGS = {
  city: { type: 'string' },
  upstream: { type: 'string' },
  'upstream-token': { type: 'string' },
  'federation-members': { type: 'string' },
  'federation-landmarks': { type: 'string' },
  'federation-period-ms': { type: 'string' },
} as const;

export const FEDERATION_HELP = `Federation (README "Federation"; a city sends its summary to its upstream, e.g. the province):
  --city ID                 this city's id, as its upstream's members file names it
  --upstream URL            the upstream orchestrator's API (off unless given)
  --upstream-token TOKEN    this city's federation token there (banyan federation member add)
  --federation-members F    member cities that may send summaries here (CITY sha256:HEX lines)
  --federation-landmarks F  landmarks members report latency to (JSON [{id,lat,lon}]; default Fujian's 9 cities)
  --federation-period-ms N  summary period (default ${DEFAULT_SUMMARY_PERIOD_MS})`;

type Values = { [K in keyof typeof FEDERATION_FLAGS]?: string };
type Plugin = (app: FastifyInstance, o: Orchestrator) => void;

/** The plugin, null when no federation flag is given, or what is wrong (for the exit-2 message). */
export function federationOptions(v: Values, env: NodeJS.ProcessEnv, apiTokens: ApiToken[]): Plugin | null | string {
  const city = v.city ?? env.BANYAN_CITY;
  const url = v.upstream ?? env.BANYAN_UPSTREAM_URL;
  const token = v['upstream-token'] ?? env.BANYAN_UPSTREAM_TOKEN;
  const membersFile = v['federation-members'] ?? env.BANYAN_FEDERATION_MEMBERS;
  if (!url && !membersFile) return null;
  if (url && (!token || !city)) return '--upstream needs --upstream-token TOKEN (banyan federation member add CITY on the upstream issues one) and --city ID';
  if (url && !/^https?:\/\//.test(url)) return `--upstream ${url} must be an http:// or https:// URL of the upstream's API`;
  const period = v['federation-period-ms'] ? Number(v['federation-period-ms']) : DEFAULT_SUMMARY_PERIOD_MS;
  if (!Number.isInteger(period) || period < 100) return `--federation-period-ms ${v['federation-period-ms']} must be an integer ≥ 100`;
  try {
    return federationPlugin({
      city,
      upstream: url ? { url, token: token! } : undefined,
      members: membersFile ? loadMembers(membersFile) : [],
      landmarks: v['federation-landmarks'] ? loadLandmarks(v['federation-landmarks']) : undefined,
      periodMs: period,
      apiTokens,
    });
  } catch (e) {
    return (e as Error).message;
  }
}
