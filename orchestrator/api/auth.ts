// Bearer tokens with roles for the HTTP API. Tokens are kept and compared as SHA-256 digests in
// constant time; 401 means "who are you?", 403 "you may not". Writes are size- and rate-limited.
// Opt-in: with no token configured the API stays open for the local demo, and says so.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; 'public' needs no token. Undeclared: viewer for reads, admin otherwise. */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    /** Who called, once authenticated; null on public routes and in open mode. */
    principal: Principal | null;
  }
}

export interface Principal {
  name: string;
  role: Role;
}

export interface ApiToken extends Principal {
  sha256: Buffer;
}

export class TokenConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenConfigError';
  }
}

export interface AuthOptions {
  tokens: ApiToken[];
  /** Paths served without a token (liveness probes). */
  publicPaths?: string[];
  /** Largest request body a write may declare, in bytes. */
  maxBodyBytes?: number;
  /** Writes each caller (token, or address in open mode) may make per minute, as a burst too. */
  writesPerMinute?: number;
  log?: { warn: (obj: object, msg: string) => void };
  /** Clock for the write limiter. */
  now?: () => number;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authPlugin(app: FastifyInstance, opts: AuthOptions): void {
  const publicPaths = new Set(opts.publicPaths ?? ['/healthz']);
  const maxBody = opts.maxBodyBytes ?? 64 * 1024;
  const limiter = new TokenBucket(opts.writesPerMinute ?? 60, opts.now ?? Date.now);
  const open = opts.tokens.length === 0;
  if (open) opts.log?.warn({}, 'API is open: no tokens configured (BANYAN_API_TOKENS or --api-tokens FILE); fine for a local demo only');

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req, reply) => {
    const declared = req.routeOptions.config?.role;
    const isRead = READ_METHODS.has(req.method);
    if (declared === 'public' || publicPaths.has(req.url.split('?')[0]!)) return;
    if (!open) {
      const principal = authenticate(req.headers.authorization, opts.tokens);
      if (!principal) return refuse(reply, 401, 'unauthorized', 'send "Authorization: Bearer <token>" with a valid API token');
      const needed: Role = declared ?? (isRead ? 'viewer' : 'admin');
      if (RANK[principal.role] < RANK[needed]) {
        return refuse(reply, 403, 'forbidden', `token "${principal.name}" has role ${principal.role}; ${req.method} ${req.url} needs ${needed}`);
      }
      req.principal = principal;
    }
    if (isRead) return;
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBody) return refuse(reply, 413, 'payload_too_large', `request bodies are limited to ${maxBody} bytes`);
    const wait = limiter.take(req.principal?.name ?? `addr:${req.ip}`);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return refuse(reply, 429, 'rate_limited', `too many writes; retry in ${Math.ceil(wait / 1000)} s`);
    }
  });
}

function refuse(reply: FastifyReply, code: number, error: string, message: string): FastifyReply {
  if (code === 401) void reply.header('www-authenticate', 'Bearer realm="banyan"');
  return reply.code(code).send({ error, message });
}

/** Compares against every token, so the time taken does not tell which one nearly matched. */
export function authenticate(header: string | undefined, tokens: ApiToken[]): Principal | null {
  const found = matchBearer(header, tokens);
  return found ? { name: found.name, role: found.role } : null;
}

/** The holder whose digest the header's bearer token matches (federation members use it too). */
export function matchBearer<T extends { sha256: Buffer }>(header: string | undefined, holders: readonly T[]): T | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const presented = sha256(m[1]!);
  let found: T | null = null;
  for (const t of holders) if (timingSafeEqual(presented, t.sha256) && !found) found = t;
  return found;
}

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Per-caller token bucket: `perMinute` writes of burst, refilled continuously. */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** 0 when allowed; otherwise milliseconds until one write is allowed. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + ((t - b.at) * this.perMinute) / 60_000);
    b.at = t;
    this.buckets.delete(key);
    // Oldest callers go first when the map is full, so many addresses cannot grow it unbounded.
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 60_000) / this.perMinute);
  }
}

/**
 * Token lines, one per token: `NAME ROLE sha256:HEX` (what `banyan creds token` writes) or
 * `NAME ROLE TOKEN`; `#` starts a comment. BANYAN_API_TOKENS holds `NAME:ROLE:TOKEN,...`.
 */
export function parseTokenLines(text: string, source: string): ApiToken[] {
  const out: ApiToken[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [name, role, secret, extra] = line.split(/\s+/);
    if (!name || !secret || extra !== undefined || !isRole(role)) {
      throw new TokenConfigError(`${source} line ${i + 1}: expected "NAME ROLE sha256:HEX" with ROLE one of ${ROLES.join(', ')}`);
    }
    out.push({ name, role, sha256: digestOf(secret, `${source} line ${i + 1}`) });
  });
  return out;
}

export function loadApiTokens(src: { file?: string; env?: NodeJS.ProcessEnv }): ApiToken[] {
  const env = src.env ?? {};
  const tokens: ApiToken[] = [];
  const file = src.file ?? env.BANYAN_API_TOKENS_FILE;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new TokenConfigError(`cannot read API tokens file ${file} (${(e as NodeJS.ErrnoException).code}); create it with banyan creds token`);
    }
    tokens.push(...parseTokenLines(text, file));
  }
  if (env.BANYAN_API_TOKENS) {
    const lines = env.BANYAN_API_TOKENS.split(',').map((entry) => entry.trim().split(':').join(' '));
    tokens.push(...parseTokenLines(lines.join('\n'), 'BANYAN_API_TOKENS'));
  }
  const names = new Set<string>();
  for (const t of tokens) {
    if (names.has(t.name)) throw new TokenConfigError(`API token name "${t.name}" appears twice; names identify callers in logs`);
    names.add(t.name);
  }
  return tokens;
}

/** A new token and the line that stores only its digest. */
export function issueApiToken(name: string, role: Role): { token: string; line: string } {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new TokenConfigError(`token name "${name}" must be 1-64 of [A-Za-z0-9._-]`);
  const token = `bnyn_${randomBytes(32).toString('base64url')}`;
  return { token, line: `${name} ${role} sha256:${sha256(token).toString('hex')}` };
}

function isRole(s: string | undefined): s is Role {
  return (ROLES as readonly string[]).includes(s ?? '');
}

/** A stored secret (`sha256:HEX`, or the token itself) as its digest. */
export function digestOf(secret: string, where: string): Buffer {
  if (!secret.startsWith('sha256:')) return sha256(secret);
  const hex = secret.slice('sha256:'.length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new TokenConfigError(`${where}: sha256: must be followed by 64 hex digits`);
  return Buffer.from(hex, 'hex');
}
