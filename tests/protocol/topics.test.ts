import { describe, expect, it } from 'vitest';
import { nodeSubscriptions, nodeTopic, parseNodeTopic, parseRttProbeTopic, rttProbeTopic } from '../../protocol/topics.ts';

describe('topics', () => {
  it('builds and parses banyan/v1/<site>/<node>/<channel>', () => {
    const t = nodeTopic('banyan/v1', 'fz-mawei-plant-3', 'node-7', 'telemetry');
    expect(t).toBe('banyan/v1/fz-mawei-plant-3/node-7/telemetry');
    expect(parseNodeTopic('banyan/v1', t)).toEqual({ site: 'fz-mawei-plant-3', node: 'node-7', channel: 'telemetry' });
  });
  it('refuses segments that would break the namespace', () => {
    expect(() => nodeTopic('banyan/v1', 'a/b', 'n', 'birth')).toThrow(/site/);
    expect(() => nodeTopic('banyan/v1', 's', '+', 'birth')).toThrow(/node/);
  });
  it('returns null for foreign or malformed topics', () => {
    expect(parseNodeTopic('banyan/v1', 'other/v1/s/n/birth')).toBeNull();
    expect(parseNodeTopic('banyan/v1', 'banyan/v1/s/n/unknown')).toBeNull();
    expect(parseNodeTopic('banyan/v1', 'banyan/v1/s/n/birth/extra')).toBeNull();
    expect(parseNodeTopic('banyan/v1', 'banyan/v1/_orchestrator/state')).toBeNull();
  });
  it('subscribes to every node channel but cmd', () => {
    expect(nodeSubscriptions('r')).toEqual(['r/+/+/birth', 'r/+/+/state', 'r/+/+/telemetry', 'r/+/+/bench', 'r/+/+/latency', 'r/+/+/event']);
  });
  it('names one RTT probe topic per node and reads the node back', () => {
    expect(rttProbeTopic('banyan/v1', 'node-7')).toBe('banyan/v1/_rtt/node-7');
    expect(parseRttProbeTopic('banyan/v1', 'banyan/v1/_rtt/node-7')).toBe('node-7');
    expect(parseRttProbeTopic('banyan/v1', 'banyan/v1/_rtt/a/b')).toBeNull();
    expect(parseRttProbeTopic('banyan/v1', 'banyan/v1/s/node-7/telemetry')).toBeNull();
  });
});
