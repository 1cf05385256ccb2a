// `banyan federation`: member cities' tokens on the upstream (`member add`), and the upstream's
// view of its members, their sum and the work overflowing between them (`members`, `summary`,
// `overflow`) from a running orchestrator.
import { parseArgs } from 'node:util';
import type { FederationTotals, MemberState } from '../federation/hub.ts';
import { addMember } from '../federation/members.ts';
import { apiErrorText, ApiError, BanyanClient, CONNECT_HELP, CONNECT_OPTIONS, consoleIo, DEFAULT_ORCHESTRATOR, EXIT, type Io } from './client.ts';
import { table } from './table.ts';

const HELP = `banyan federation member add CITY --file MEMBERS_FILE [--json]
banyan federation members [--json]
banyan federation summary [--json]
banyan federation overflow [--json]

member add: issues CITY's federation token and appends its digest to the upstream's members file
(the upstream's --federation-members); give the printed token to the city's --upstream-token.
A federation token opens the federation routes only, never the operator API.
members / summary: each member city's latest summary (fresh, stale or never heard) and the sum.
overflow: work a member city could not place: which city asked, where it went and why.

${CONNECT_HELP}`;

export async function federationCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: Io = consoleIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...CONNECT_OPTIONS, file: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`banyan federation: ${(e as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const o = parsed.values;
  const [sub, verb, city] = parsed.positionals;
  if (o.help || !sub) {
    (o.help ? io.out : io.err)(HELP);
    return o.help ? EXIT.ok : EXIT.usage;
  }
  if (sub === 'member') {
    if (verb !== 'add' || !city || !o.file) {
      io.err(`banyan federation member: give add CITY --file MEMBERS_FILE\n\n${HELP}`);
      return EXIT.usage;
    }
    try {
      const { token } = addMember(o.file, city);
      io.out(o.json ? JSON.stringify({ city, token, file: o.file }) : `member ${city} added to ${o.file}\ntoken (shown once; the city starts with --upstream-token): ${token}`);
      return EXIT.ok;
    } catch (e) {
      io.err(`banyan federation member add: ${(e as Error).message}`);
      return EXIT.error;
    }
  }
  const client = new BanyanClient({ baseUrl: o.orchestrator ?? env.BANYAN_ORCHESTRATOR ?? DEFAULT_ORCHESTRATOR, token: o.token ?? env.BANYAN_TOKEN });
  try {
    if (sub === 'members') {
      const r = await client.get<{ members: MemberState[] }>('/v1/federation/members');
      if (o.json) io.out(JSON.stringify(r));
      else
        io.out(table(['city', 'status', 'nodes online', 'accelerators', 'nominal P', 'domestic %', 'free acc.'], r.members.map((m) => [
          m.city, m.status, m.latest?.nodes.online ?? '', m.latest?.accelerators ?? '', m.latest?.nominal.pflops ?? '',
          m.latest ? (m.latest.nominal.domesticShare * 100).toFixed(1) : '', m.latest?.free.reduce((a, f) => a + f.freeAccelerators, 0) ?? '',
        ])));
      return EXIT.ok;
    }
    if (sub === 'overflow') {
      const r = await client.get<{ open: number; entries: { id: string; origin: string; city: string | null; state: string; reason: string }[] }>('/v1/federation/overflow');
      if (o.json) io.out(JSON.stringify(r));
      else io.out(r.entries.length ? table(['workload', 'from', 'to', 'state', 'why'], r.entries.map((e) => [e.id, e.origin, e.city ?? '-', e.state, e.reason])) : 'no overflow work');
      return EXIT.ok;
    }
    if (sub === 'summary') {
      const t = await client.get<FederationTotals>('/v1/federation/summary');
      io.out(o.json ? JSON.stringify(t) : `${t.members} member cities (${t.fresh} fresh): ${t.nominalPflops} P nominal FP16-eq, ${(t.domesticShare * 100).toFixed(1)} % domestic, ${t.measuredPflops} P measured, ${t.freeAccelerators} accelerators free`);
      return EXIT.ok;
    }
  } catch (e) {
    if (e instanceof ApiError) {
      io.err(apiErrorText('federation', e));
      return e.exitCode;
    }
    throw e;
  }
  io.err(`banyan federation: unknown sub-command "${sub}"\n\n${HELP}`);
  return EXIT.usage;
}
