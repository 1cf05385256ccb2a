// Topic namespace: <root>/<site>/<node>/<channel>, root "banyan/v1" unless a deployment or a
// test gives its own prefix.
export const DEFAULT_TOPIC_ROOT = 'banyan/v1';

export const CHANNELS = ['birth', 'state', 'telemetry', 'bench', 'latency', 'cmd', 'event'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels a node publishes; `cmd` is the orchestrator's. */
export const NODE_CHANNELS: readonly Channel[] = ['birth', 'state', 'telemetry', 'bench', 'latency', 'event'];

const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;
/** "." and ".." read as paths to people and to tools that join topics like paths. */
const DOTS_ONLY = /^\.+$/;

export function isValidSegment(s: string): boolean {
  return SEGMENT.test(s) && !DOTS_ONLY.test(s);
}

export function nodeTopic(root: string, site: string, node: string, channel: Channel): string {
  if (!isValidSegment(site)) throw new TypeError(`site "${site}" must be 1-64 of [A-Za-z0-9._-]`);
  if (!isValidSegment(node)) throw new TypeError(`node "${node}" must be 1-64 of [A-Za-z0-9._-]`);
  return `${root}/${site}/${node}/${channel}`;
}

/**
 * Where a node times its broker round trip: a QoS 1 publish nobody subscribes to, timed to its
 * PUBACK. One topic per node (`<root>/_rtt/<node>`), so the broker's ACL can allow node X exactly
 * its own; `node` may be Mosquitto's `%u` when the ACL pattern is built.
 */
export const RTT_PROBE_SEGMENT = '_rtt';

export function rttProbeTopic(root: string, node: string): string {
  return `${root}/${RTT_PROBE_SEGMENT}/${node}`;
}

/** The node whose RTT probe topic this is, or null for any other topic. */
export function parseRttProbeTopic(root: string, topic: string): string | null {
  const prefix = `${root}/${RTT_PROBE_SEGMENT}/`;
  if (!topic.startsWith(prefix)) return null;
  const node = topic.slice(prefix.length);
  return isValidSegment(node) ? node : null;
}

export function orchestratorStateTopic(root: string): string {
  return `${root}/_orchestrator/state`;
}

/** Channels whose last message the broker keeps for late subscribers (DESIGN.md, Protocol). */
export const RETAINED_CHANNELS: readonly Channel[] = ['birth', 'state', 'bench'];

/**
 * Whether a retained publish on this topic is one the protocol defines: a node's birth, state or
 * bench with valid segments (node ids starting with "_" are the orchestrator's), or the
 * orchestrator's own state. Anything else retained would be kept by the broker forever.
 */
export function isRetainedTopic(root: string, topic: string): boolean {
  if (topic === orchestratorStateTopic(root)) return true;
  const t = parseNodeTopic(root, topic);
  return t !== null && !t.node.startsWith('_') && RETAINED_CHANNELS.includes(t.channel);
}

/** What the orchestrator subscribes to for everything nodes publish. */
export function nodeSubscriptions(root: string): string[] {
  return NODE_CHANNELS.map((c) => `${root}/+/+/${c}`);
}

export interface ParsedTopic {
  site: string;
  node: string;
  channel: Channel;
}

export function parseNodeTopic(root: string, topic: string): ParsedTopic | null {
  if (!topic.startsWith(root + '/')) return null;
  const parts = topic.slice(root.length + 1).split('/');
  if (parts.length !== 3) return null;
  const [site, node, channel] = parts as [string, string, string];
  if (!isValidSegment(site) || !isValidSegment(node)) return null;
  if (!(CHANNELS as readonly string[]).includes(channel)) return null;
  return { site, node, channel: channel as Channel };
}
