// A typed client of the orchestrator's HTTP API for the operator CLI (and scripts). Every failure
// is an ApiError whose kind maps to one exit code and whose message says what to do next.
import type { WorkloadView } from '../api/workloads.ts';
import type { FleetSummary, NodeView } from '../views.ts';
import type { Decision } from '../placement/types.ts';
import type { LatencyTarget } from '../latency/types.ts';
import type { Excluded, Instance } from '../resolve/nearest.ts';

export const DEFAULT_ORCHESTRATOR = 'http://127.0.0.1:8080';

export type ApiErrorKind = 'unreachable' | 'unauthorized' | 'forbidden' | 'not_found' | 'invalid' | 'conflict' | 'server';

/** Exit codes of the operator commands (documented in `banyan nodes --help`). */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, unreachableOrAuth: 4 } as const;

const EXIT_BY_KIND: Record<ApiErrorKind, number> = {
  unreachable: EXIT.unreachableOrAuth,
  unauthorized: EXIT.unreachableOrAuth,
  forbidden: EXIT.unreachableOrAuth,
  not_found: EXIT.notFound,
  invalid: EXIT.error,
  conflict: EXIT.error,
  server: EXIT.error,
};

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get exitCode(): number {
    return EXIT_BY_KIND[this.kind];
  }
}

export type ExplainView = Decision['explain'] & { workload: string; evaluatedAtMs: number; chosen: string | null };

/** GET /v1/resolve/:workload's answer (orchestrator/api/resolve.ts). */
export interface ResolveView {
  workload: string;
  name: string;
  near: LatencyTarget;
  atMs: number;
  instances: Instance[];
  excluded: Excluded[];
}

export interface ClientOptions {
  baseUrl?: string;
  token?: string;
  timeoutMs?: number;
}

export class BanyanClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_ORCHESTRATOR).replace(/\/+$/, '');
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async nodes(): Promise<NodeView[]> {
    return (await this.request<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes;
  }

  node(id: string): Promise<NodeView> {
    return this.request('GET', `/v1/nodes/${encodeURIComponent(id)}`);
  }

  summary(): Promise<FleetSummary> {
    return this.request('GET', '/v1/fleet/summary');
  }

  async workloads(): Promise<WorkloadView[]> {
    return (await this.request<{ workloads: WorkloadView[] }>('GET', '/v1/workloads')).workloads;
  }

  workload(id: string): Promise<WorkloadView> {
    return this.request('GET', `/v1/workloads/${encodeURIComponent(id)}`);
  }

  submit(spec: unknown): Promise<WorkloadView> {
    return this.request('POST', '/v1/workloads', spec);
  }

  explain(id: string): Promise<ExplainView> {
    return this.request('GET', `/v1/workloads/${encodeURIComponent(id)}/explain`);
  }

  resolve(workload: string, near: string): Promise<ResolveView> {
    return this.request('GET', `/v1/resolve/${encodeURIComponent(workload)}?near=${encodeURIComponent(near)}`);
  }

  move(id: string, to: string): Promise<WorkloadView> {
    return this.request('POST', `/v1/workloads/${encodeURIComponent(id)}/move`, { to });
  }

  stop(id: string): Promise<WorkloadView> {
    return this.request('DELETE', `/v1/workloads/${encodeURIComponent(id)}`);
  }

  /** Any API path, parsed as JSON: the books' routes take many query forms. */
  get<T>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  /** Any API path as text (CSV, HTML). */
  getText(path: string): Promise<string> {
    return this.request('GET', path, undefined, 'text');
  }

  send<T>(method: 'PUT' | 'POST', path: string, body?: unknown): Promise<T> {
    return this.request(method, path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<T> {
    const headers: Record<string, string> = { accept: as === 'json' ? 'application/json' : '*/*' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ApiError('unreachable', `cannot reach ${this.baseUrl} (${why}) — is \`banyan orchestrator\` running? set --orchestrator URL or $BANYAN_ORCHESTRATOR`);
    }
    const text = await res.text();
    if (res.ok && as === 'text') return text as T;
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // A proxy's HTML error page, say: reported below by status.
    }
    if (res.ok) return parsed as T;
    throw this.errorFor(res.status, method, path, parsed);
  }

  private errorFor(status: number, method: string, path: string, body: unknown): ApiError {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { message?: string; errors?: FieldError[] };
    const said = b.message ? `: ${b.message}` : '';
    switch (status) {
      case 401:
        return new ApiError('unauthorized', `${this.baseUrl} wants an API token${said} — pass --token or set $BANYAN_TOKEN (banyan creds token issues one)`, status);
      case 403:
        return new ApiError('forbidden', `the token may not ${method} ${path}${said} — ask an admin for a token with a stronger role`, status);
      case 404:
        return new ApiError('not_found', b.message ?? `${method} ${path}: not found`, status);
      case 400:
      case 422:
        return new ApiError('invalid', b.message ?? `${method} ${path} was refused as invalid`, status, Array.isArray(b.errors) ? b.errors : []);
      case 409:
        return new ApiError('conflict', b.message ?? `${method} ${path} conflicts with the current state`, status);
      default:
        return new ApiError('server', `${method} ${path} failed with HTTP ${status}${said}`, status);
    }
  }
}

// ---- what every command that talks to the API shares -------------------------------------

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const consoleIo: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };

/** The options every API command takes (node:util parseArgs form). */
export const CONNECT_OPTIONS = {
  orchestrator: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECT_HELP = `  --orchestrator URL  the orchestrator's HTTP API (default $BANYAN_ORCHESTRATOR or ${DEFAULT_ORCHESTRATOR})
  --token TOKEN       API token, sent as Bearer (default $BANYAN_TOKEN)`;

/** An API error for a person: the message, then each refused field on its own line. */
export function apiErrorText(command: string, e: ApiError): string {
  return [`banyan ${command}: ${e.message}`, ...e.fieldErrors.map((f) => `  ${f.path}: ${f.message}`)].join('\n');
}
