// The simulated fleet's bench and probe sources: labelled, seeded, and honest about what they skip.
import { describe, expect, it } from 'vitest';
import { SimBenchSource, SIM_EFFICIENCY } from '../../simulators/fleet/sim-bench.ts';
import { SimProbeSource, simProbeAddress, simProbeResponder } from '../../simulators/fleet/sim-probe.ts';
import { DEFAULT_PROBE_PORT } from '../../protocol/probe-datagram.ts';
import { LANDMARKS, siteById } from '../../orchestrator/geo/city.ts';
import { NetworkModel, netPointAt } from '../../simulators/fleet/network.ts';
import { accelerator } from '../helpers/envelopes.ts';

const round = { brokerRtt: async () => 0, signal: new AbortController().signal };
const accs = [
  accelerator({ index: 0, vendor: 'huawei', nominal: { tflops: 280, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } }),
  accelerator({ index: 1, vendor: 'amd', nominal: { tflops: 1307, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } }),
  accelerator({ index: 2, vendor: 'cambricon', nominal: { basis: 'unknown', source: 'catalog', kind: 'nominal', weak: false } }),
];

describe('SimBenchSource', () => {
  it('derives measured figures from nominal × vendor efficiency, skips busy and unknown ones', async () => {
    const r = await new SimBenchSource(42, () => 1000).run({ accelerators: accs, busy: new Set([1]), rerun: false, signal: round.signal });
    expect(r.results.map((x) => x.target)).toEqual(['acc:0']);
    const [a] = r.results;
    expect(a!.fp16).toMatchObject({ basis: 'fp16', kind: 'measured', source: `simulated: ${SIM_EFFICIENCY.huawei} × nominal` });
    expect(a!.ratioToNominal).toBeGreaterThan(0.75 * 0.9);
    expect(a!.ratioToNominal).toBeLessThan(0.75 * 1.1);
    expect(a!.latencyP99Ms).toBeGreaterThan(a!.latencyP50Ms);
    expect(r.skipped.join('\n')).toMatch(/acc:1: busy/);
    expect(r.skipped.join('\n')).toMatch(/acc:2: nominal FP16 unknown/);
  });

  it('is deterministic per seed', async () => {
    const run = (seed: number) => new SimBenchSource(seed, () => 0).run({ accelerators: accs, busy: new Set(), rerun: false, signal: round.signal });
    expect((await run(7)).results).toEqual((await run(7)).results);
    expect((await run(7)).results[0]!.fp16.tflops).not.toBe((await run(8)).results[0]!.fp16.tflops);
  });
});

describe('SimProbeSource', () => {
  const self = netPointAt(siteById('fz-mawei-plant-3')!, 'node-a');
  const peerPoint = netPointAt(siteById('fz-changle-plant-1')!, 'node-b');

  it('reports every landmark and the orchestrator from the network model, repeatably', async () => {
    const make = () => new SimProbeSource({ network: new NetworkModel({ seed: 3, loss: 0 }), self, count: 5, peer: () => undefined });
    const a = await make().scheduled(round);
    expect(a.map((t) => t.target)).toEqual([...LANDMARKS.map((l) => l.id), 'orchestrator']);
    expect(a.every((t) => t.sent === 5 && t.received === 5)).toBe(true);
    expect(a).toEqual(await make().scheduled(round));
    const model = new NetworkModel({ seed: 3 });
    const orch = a.find((t) => t.target === 'orchestrator')!;
    expect(orch.minMs).toBeGreaterThanOrEqual(model.baseRttMs(self, netPointAt(siteById('fz-gulou-dc-1')!, 'orchestrator')));
  });

  it('probes peers at their advertised address, reports them by node id, loses everything to unknown addresses and across a partition', async () => {
    const network = new NetworkModel({ seed: 3, loss: 0 });
    const src = new SimProbeSource({ network, self, count: 4, peer: (h) => (h === 'node-b' ? peerPoint : undefined) });
    const peers = [
      { nodeId: 'node-b', address: simProbeAddress('node-b') },
      { nodeId: 'ghost', address: 'ghost:7947' },
    ];
    const [known, unknown] = await src.requested({ targets: [], peers }, 4, round);
    expect(known).toMatchObject({ target: 'node-b', targetKind: 'peer', received: 4 });
    expect(unknown).toMatchObject({ target: 'ghost', received: 0, loss: 1 });
    network.partition(self.district);
    const [cut] = await src.requested({ targets: [], peers: [peers[0]!] }, 4, round);
    expect(cut).toMatchObject({ received: 0, loss: 1 });
  });

  it('probes landmarks named host:port on request, as landmarks', async () => {
    const src = new SimProbeSource({ network: new NetworkModel({ seed: 3, loss: 0 }), self, count: 2, peer: () => undefined });
    const lm = LANDMARKS[0]!.id;
    const [known, unknown] = await src.requested({ targets: [`${lm}:443`, 'nowhere:443'], peers: [] }, 2, round);
    expect(known).toMatchObject({ target: `${lm}:443`, targetKind: 'landmark', received: 2 });
    expect(unknown).toMatchObject({ targetKind: 'landmark', received: 0 });
  });

  it('advertises <node id>:<probe port> from a responder that binds nothing', async () => {
    const r = simProbeResponder('node-a');
    expect(await r.start()).toBe(`node-a:${DEFAULT_PROBE_PORT}`);
    await r.close();
  });
});
