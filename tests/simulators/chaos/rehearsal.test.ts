// CI's test bed: ~200 simulated nodes running the real agent code against a real orchestrator
// over the in-process transport, with every fault kind on a compressed timeline
// (simulators/fleet/scenarios/ci-chaos.json), and the invariants of issue #7 asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../../simulators/chaos/faults.ts';
import { Rehearsal } from '../../../simulators/chaos/rehearsal.ts';
import type { SimReport } from '../../../simulators/fleet/report.ts';
import { loadScenario } from '../../../simulators/fleet/scenario.ts';
import { quietLog } from '../../helpers/quiet-log.ts';

const scenario = loadScenario(new URL('../../../simulators/fleet/scenarios/ci-chaos.json', import.meta.url).pathname);

describe('ci-chaos rehearsal: 200 nodes, every fault kind', () => {
  let r: Rehearsal;
  let report: SimReport;

  beforeAll(async () => {
    r = await Rehearsal.start({ scenario, transport: 'inproc', log: quietLog });
    await r.submitWorkloads();
    report = await r.run(scenario.durationMs!);
  }, 120_000);

  afterAll(async () => {
    await r?.stop();
  }, 30_000);

  it('injects every fault kind the simulator knows', () => {
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(report.faults.filter((f) => f.skipped)).toEqual([]);
    expect(report.nodes).toBe(200);
  });

  it('loses no event an agent handed to the transport', () => {
    expect(report.messages.sent.event).toBeGreaterThan(34); // at least one accepted + running per workload
    expect(report.messages.lost.event).toBe(0);
    // Births and states are re-announced on every reconnect and must all arrive.
    expect(report.messages.lost.birth).toBe(0);
  });

  it('places every workload, with no true-SLO violation beyond the stated estimate bound', () => {
    expect(report.workloads.submitted).toBe(34);
    expect(report.workloads.placedEver).toBe(34);
    expect(report.workloads.unexplained).toEqual([]);
    expect(report.placements.withSlo).toBeGreaterThanOrEqual(28);
    // The worst placements in the message: under a loaded full run this has failed with the model
    // stating ±0.2 ms on estimates 4–5 ms under the true RTT, and only the counts were printed.
    expect(report.placements.beyondStatedBound, JSON.stringify({ worst: report.placements.worst, faults: report.faults.filter((f) => f.kind === 'latency-spike' || f.kind === 'crash') })).toBe(0);
  });

  it('detects crashes within bound, tells them crashed, and re-places their trading work after its grace', () => {
    const crashes = report.faults.filter((f) => f.kind === 'crash');
    for (const f of crashes) {
      expect(f.detected).toBe(f.nodes);
      expect(f.detectMs!.max).toBeLessThanOrEqual(f.detectBoundMs!);
      expect(f.verdicts.crashed ?? 0).toBe(f.nodes);
    }
    // Gulou's nodes running trading work are down 9 s, past the trading grace of 5 s: that work
    // moves. (Chosen where the work landed: whether the exchange or a data-centre node next to it
    // wins a 2 ms SLO depends on the RTTs measured by then.)
    const exchange = crashes.find((f) => f.id === 'f1-crash')!;
    expect(exchange.nodes).toBeGreaterThan(0);
    expect(exchange.replaceable).toBeGreaterThan(0);
    expect(exchange.replaced).toBe(exchange.replaceable);
    expect(exchange.replaceMs!.max).toBeLessThanOrEqual(exchange.replaceBoundMs!);
    expect(exchange.replaceMs!.median).toBeGreaterThanOrEqual(5000); // not before the grace
  });

  it('does not take partitioned nodes for crashed: a district cut by correlation, a site uplink by its peers', () => {
    const parts = report.faults.filter((f) => f.kind === 'partition');
    expect(parts).toHaveLength(2);
    for (const f of parts) {
      expect(f.detected).toBe(f.nodes);
      expect(f.verdicts).toEqual({ partitioned: f.nodes });
    }
  });

  it('detects a hung node (connected, silent) within the silence bound and calls it hung', () => {
    const hang = report.faults.find((f) => f.kind === 'hang')!;
    expect(hang.detected).toBe(hang.nodes);
    expect(hang.detectMs!.max).toBeLessThanOrEqual(hang.detectBoundMs!);
    expect(hang.verdicts).toEqual({ hung: hang.nodes });
  });

  it('rejects every bad message by its reason, and nothing from skewed or flapping nodes', () => {
    const injected = (kind: string) => report.faults.find((f) => f.kind === kind)!.injected;
    expect(injected('malformed')).toBe(6);
    expect(report.rejected.malformed).toBe(injected('malformed'));
    expect(report.rejected.duplicate).toBe(injected('duplicate'));
    expect(report.rejected.seq_backwards).toBe(injected('replay'));
    expect(report.rejected.node_mismatch).toBe(injected('spoof'));
    const bad = new Set(['malformed', 'duplicate', 'seq_backwards', 'node_mismatch']);
    // Outbox replays after reconnects may be re-sent duplicates; nothing else is refused.
    const other = Object.entries(report.rejected).filter(([k]) => !bad.has(k));
    expect(other.filter(([k]) => k !== 'stale_will')).toEqual([]);
  });

  it('brings the whole fleet back after broker and orchestrator restarts', () => {
    expect(r.onlineCount()).toBe(200);
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
  });

  it('reports the latency model against the network model', () => {
    expect(report.latencyModel.pairs).toBeGreaterThan(400);
    expect(report.latencyModel.medianRelError).toBeGreaterThan(0);
    // With the orchestrator's peer RTT rounds the fit lands near 0.14; landmark probes alone
    // gave 0.54. The bound leaves room for timing noise, not for losing the peer rounds.
    expect(report.latencyModel.medianRelError).toBeLessThan(0.3);
  });
});
