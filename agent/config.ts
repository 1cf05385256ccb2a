// Agent configuration: defaults, then a YAML/JSON file, then BANYAN_* environment variables,
// then command-line flags; validated once, with errors that name the field and where it came from.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { checkFactors } from '../protocol/fp16.ts';
import { DEFAULT_PROBE_PORT } from '../protocol/probe-datagram.ts';
import { DEFAULT_TOPIC_ROOT, isValidSegment } from '../protocol/topics.ts';
import { DEFAULT_INVENTORY_TIMEOUT_MS } from './inventory/index.ts';

const Segment = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

export const AgentConfigSchema = Type.Object(
  {
    nodeId: Segment,
    site: Segment,
    brokerUrl: Type.String({ pattern: '^(mqtts?|wss?|tcp)://' }),
    topicRoot: Type.String({ minLength: 1 }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    /** A file holding the MQTT password (mode 0600), instead of `password`. */
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
    /** TLS (mqtts://): the CA that signed the broker's certificate, and a client certificate. */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
    tlsServerName: Type.Optional(Type.String({ minLength: 1 })),
    labels: Type.Record(Type.String(), Type.String()),
    location: Type.Object({
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      district: Type.String(),
      siteKind: Type.String(),
    }),
    telemetryIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
    reconnectMinMs: Type.Integer({ minimum: 10 }),
    reconnectMaxMs: Type.Integer({ minimum: 10 }),
    stateDir: Type.String({ minLength: 1 }),
    /** TCP endpoints every agent measures RTT to (the latency model's anchors). */
    landmarks: Type.Array(
      Type.Object(
        { name: Type.String({ minLength: 1 }), host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
        { additionalProperties: false },
      ),
    ),
    probeIntervalMs: Type.Integer({ minimum: 1000, maximum: 86_400_000 }),
    probeCount: Type.Integer({ minimum: 1, maximum: 100 }),
    probeTimeoutMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    /** Run the UDP peer-probe responder (agent/probe/responder.ts) and advertise it in the birth. */
    probeResponder: Type.Boolean(),
    /** Where it listens: '0.0.0.0' (every IPv4 interface), '::', or one address. */
    probeBindHost: Type.String({ minLength: 1 }),
    /** Its UDP port (protocol/probe-datagram.ts DEFAULT_PROBE_PORT); 0: any free port. */
    probePort: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** 'host' or 'host:port' peers reach it at (NAT, containers); '' picks a non-loopback IPv4. */
    probeAdvertise: Type.String({ pattern: '^(|[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\]:[0-9]{1,5})$' }),
    /** Time budget of the start-up benchmark; 0 turns benchmarking off. */
    benchBudgetMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    outboxMaxBytes: Type.Integer({ minimum: 65_536 }),
    /** Site overrides of the FP16-equivalent factors, e.g. { int8: 0.5 } (protocol/fp16.ts). */
    fp16Factors: Type.Record(Type.String(), Type.Number()),
    /** Site catalogue override (same shape as agent/catalog/accelerators.json); '' for none. */
    catalogOverridePath: Type.String(),
    /**
     * Hold reports in the outbox until the orchestrator's retained state says ONLINE (Sparkplug's
     * primary-host rule): what a node says while nobody listens is stored, not lost.
     */
    awaitOrchestrator: Type.Boolean(),
    /** How often the PCI tree is checked for cards added or removed (re-detect + birth); 0: never. */
    hardwareWatchMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    /** Per vendor-tool invocation during detection. */
    toolTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
    /**
     * The one-shot host inventory (systeminformation in a child process, at start and on a
     * hardware change): how long it may take; 0 turns it off.
     */
    inventoryTimeoutMs: Type.Integer({ minimum: 0, maximum: 300_000 }),
    /** Host telemetry: /proc + statfs (lean), or node-os-utils (costs more; see `npm run bench -- agent`). */
    hostMeter: Type.Union([Type.Literal('proc'), Type.Literal('node-os-utils')]),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** 16 MiB: at a 5 s telemetry interval, days of reports; see README "Agent configuration reference". */
export const DEFAULT_OUTBOX_MAX_BYTES = 16 * 1024 * 1024;

export function defaultAgentConfig(): AgentConfig {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'node';
  return {
    nodeId: host,
    site: 'local',
    brokerUrl: 'mqtt://127.0.0.1:1883',
    topicRoot: DEFAULT_TOPIC_ROOT,
    labels: {},
    location: { lat: 26.0745, lon: 119.2965, district: '', siteKind: 'datacenter' },
    telemetryIntervalMs: 5000,
    reconnectMinMs: 500,
    reconnectMaxMs: 30_000,
    stateDir: '.banyan/agent',
    landmarks: [],
    probeIntervalMs: 30_000,
    probeCount: 5,
    probeTimeoutMs: 1000,
    probeResponder: true,
    probeBindHost: '0.0.0.0',
    probePort: DEFAULT_PROBE_PORT,
    probeAdvertise: '',
    benchBudgetMs: 10_000,
    outboxMaxBytes: DEFAULT_OUTBOX_MAX_BYTES,
    fp16Factors: {},
    catalogOverridePath: '',
    toolTimeoutMs: 3000,
    awaitOrchestrator: true,
    hardwareWatchMs: 30_000,
    inventoryTimeoutMs: DEFAULT_INVENTORY_TIMEOUT_MS,
    hostMeter: 'proc',
  };
}

const ENV: Record<string, { key: keyof AgentConfig; num?: boolean }> = {
  BANYAN_NODE_ID: { key: 'nodeId' },
  BANYAN_SITE: { key: 'site' },
  BANYAN_BROKER_URL: { key: 'brokerUrl' },
  BANYAN_TOPIC_ROOT: { key: 'topicRoot' },
  BANYAN_MQTT_USERNAME: { key: 'username' },
  BANYAN_MQTT_PASSWORD: { key: 'password' },
  BANYAN_MQTT_PASSWORD_FILE: { key: 'passwordFile' },
  BANYAN_MQTT_CA_FILE: { key: 'caFile' },
  BANYAN_MQTT_CERT_FILE: { key: 'certFile' },
  BANYAN_MQTT_KEY_FILE: { key: 'keyFile' },
  BANYAN_TELEMETRY_INTERVAL_MS: { key: 'telemetryIntervalMs', num: true },
  BANYAN_STATE_DIR: { key: 'stateDir' },
  BANYAN_PROBE_INTERVAL_MS: { key: 'probeIntervalMs', num: true },
  BANYAN_PROBE_BIND_HOST: { key: 'probeBindHost' },
  BANYAN_PROBE_PORT: { key: 'probePort', num: true },
  BANYAN_PROBE_ADVERTISE: { key: 'probeAdvertise' },
  BANYAN_BENCH_BUDGET_MS: { key: 'benchBudgetMs', num: true },
  BANYAN_OUTBOX_MAX_BYTES: { key: 'outboxMaxBytes', num: true },
  BANYAN_CATALOG_OVERRIDE: { key: 'catalogOverridePath' },
  BANYAN_TOOL_TIMEOUT_MS: { key: 'toolTimeoutMs', num: true },
  BANYAN_INVENTORY_TIMEOUT_MS: { key: 'inventoryTimeoutMs', num: true },
  BANYAN_HOST_METER: { key: 'hostMeter' },
};

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values already parsed, e.g. { nodeId: 'x', 'location.lat': '26.1' }. */
  flags?: Record<string, string>;
}

export function loadAgentConfig(src: ConfigSources = {}): AgentConfig {
  let merged: Record<string, unknown> = structuredClone(defaultAgentConfig());
  const env = src.env ?? {};
  const file = src.file ?? env.BANYAN_CONFIG;
  if (file) merged = deepMerge(merged, readConfigFile(file));
  for (const [name, { key, num }] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') merged[key] = num ? Number(v) : v;
  }
  for (const [path, v] of Object.entries(src.flags ?? {})) setPath(merged, path, coerce(v));
  return validateAgentConfig(merged);
}

export function validateAgentConfig(input: unknown): AgentConfig {
  const problems = [...Value.Errors(AgentConfigSchema, input)].map(
    (e) => `${e.path.replace(/^\//, '').replace(/\//g, '.') || '(root)'}: ${e.message}`,
  );
  if (problems.length) throw new ConfigError(problems);
  const cfg = input as AgentConfig;
  if (cfg.reconnectMaxMs < cfg.reconnectMinMs) throw new ConfigError(['reconnectMaxMs must be ≥ reconnectMinMs']);
  if (!isValidSegment(cfg.nodeId)) throw new ConfigError(['nodeId must be 1-64 of [A-Za-z0-9._-]']);
  const factorProblems = checkFactors(cfg.fp16Factors).map((p) => `fp16Factors: ${p}`);
  if (factorProblems.length) throw new ConfigError(factorProblems);
  const names = cfg.landmarks.map((l) => l.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError([`landmarks: the name "${dup}" is used twice; give each landmark its own name`]);
  return cfg;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`config file ${path} must hold a mapping of settings`]);
  return parsed as Record<string, unknown>;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys.at(-1)!] = value;
}

function coerce(v: string): unknown {
  return v !== '' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}
