// The same rehearsal machinery over real MQTT: 30 agents with their own connections through a
// private Mosquitto (own port and config), a crash, a site partition, a broker restart and bad
// traffic — the chaos layer works on real sockets, not only in process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rehearsal } from '../../../simulators/chaos/rehearsal.ts';
import type { SimReport } from '../../../simulators/fleet/report.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { quietLog } from '../../helpers/quiet-log.ts';

const scenario = validateScenario({
  name: 'mqtt-chaos',
  seed: 99,
  nodes: 30,
  telemetryIntervalMs: 1000,
  mix: [{ vendor: 'huawei', model: 'Ascend 910B', count: 4, weight: 1 }],
  siteProfiles: { 'data-centre': { nodesWeight: 2 }, 'trading-venue': { nodesWeight: 1 }, factory: { nodesWeight: 1 }, substation: { nodesWeight: 0 }, 'gaming-pop': { nodesWeight: 0 } },
  workloads: [{ class: 'trading', count: 2, toSiteKind: 'trading-venue' }],
  faults: [
    { kind: 'crash', atMs: 500, select: { siteKind: 'data-centre', count: 2 }, restartAfterMs: 4000 },
    { kind: 'partition', atMs: 800, site: 'fz-mawei-plant-3', durationMs: 4000 },
    { kind: 'duplicate', atMs: 1000, select: { count: 2 } },
    { kind: 'spoof', atMs: 1100, select: { count: 2 } },
    { kind: 'broker-restart', atMs: 6000, downMs: 500 },
  ],
});

describe('rehearsal over a private Mosquitto', () => {
  let r: Rehearsal;
  let report: SimReport;

  beforeAll(async () => {
    r = await Rehearsal.start({ scenario, transport: 'mqtt', log: quietLog, timing: { warmupProbeRounds: 1 } });
    await r.submitWorkloads();
    report = await r.run(10_000);
  }, 90_000);

  afterAll(async () => {
    await r?.stop();
  }, 30_000);

  it('detects the crash through the Last Will and calls it crashed; the cut site partitioned', () => {
    const crash = report.faults.find((f) => f.kind === 'crash')!;
    expect(crash.detected).toBe(2);
    expect(crash.detectMs!.max).toBeLessThanOrEqual(crash.detectBoundMs!);
    expect(crash.verdicts).toEqual({ crashed: 2 });
    const part = report.faults.find((f) => f.kind === 'partition')!;
    expect(part.nodes).toBeGreaterThan(0);
    expect(part.verdicts.crashed ?? 0).toBe(0);
  });

  it('rejects duplicates and spoofed identities arriving through the broker', () => {
    expect(report.rejected.duplicate).toBeGreaterThanOrEqual(2);
    expect(report.rejected.node_mismatch).toBe(2);
  });

  it('comes back whole from a broker restart, and accounts for every message sent', () => {
    expect(r.onlineCount()).toBe(30);
    const m = report.messages;
    for (const ch of ['birth', 'state', 'telemetry', 'event'] as const) {
      expect(m.sent[ch]).toBeGreaterThan(0);
      expect(m.accepted[ch] + m.lost[ch]).toBe(m.sent[ch]);
    }
    // Births are retained: the orchestrator gets every node's latest even after the restart.
    expect(m.lost.birth).toBe(0);
    // Agents hold reports until the orchestrator is back ONLINE on the restarted broker, so
    // nothing at all is lost (the outbox bound is far above what a short restart produces).
    for (const ch of ['birth', 'state', 'telemetry', 'bench', 'latency', 'event'] as const) expect(m.lost[ch], ch).toBe(0);
  });
});
