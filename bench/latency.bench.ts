// How well the latency model predicts pairs it never measured.
// - latency.model.median_rel_error: a simulated Fuzhou fleet (NetworkModel over the geography
//   sites); each node probes ~8 fixed random peers and every landmark, round after round; the error
//   is |estimate − base RTT| / base RTT on pairs that were never probed.
// - latency.model.median_rel_error_real: the WonderNetwork 2018 city matrix (tests/fixtures/rtt),
//   each pair's min RTT symmetrised with the min of both directions, rows faster than light in
//   fibre dropped; each city trains on a random subset of its pairs, the rest are held out.
// - latency.model.beyond_bound(_real): on the same held-out pairs, the share whose true RTT is
//   above estimate + stated error, the bound an SLO check counts; the note gives the model's error
//   scale and the share Vivaldi's own error (the stated one over the scale) would leave beyond.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { median, type Figure } from './figures.ts';
import { LatencyModel } from '../orchestrator/latency/model.ts';
import { LANDMARKS, SITES } from '../orchestrator/geo/city.ts';
import { NetworkModel, netPointAt, type NetPoint } from '../simulators/fleet/network.ts';
import { Rng } from '../simulators/fleet/rng.ts';

const SIM_NODES = 1_000;
const SIM_PEERS = 8;
const SIM_ROUNDS = 20;
const SIM_HELD_OUT = 20_000;
const REAL_TRAIN_PER_CITY = 16;
const REAL_ROUNDS = 60;
const FIXTURES = fileURLToPath(new URL('../tests/fixtures/rtt/', import.meta.url));

/** Held-out pairs beyond the stated bound, and beyond Vivaldi's own (the stated error over the scale). */
class BoundCount {
  pairs = 0;
  beyond = 0;
  beyondRaw = 0;
  constructor(private readonly model: LatencyModel) {}
  add(truth: number, est: { rttMs: number; errorMs: number }): void {
    this.pairs++;
    if (truth > est.rttMs + est.errorMs) this.beyond++;
    if (truth > est.rttMs + est.errorMs / this.model.errorScale) this.beyondRaw++;
  }
  figure(name: string): Figure {
    return {
      name, value: this.beyond / this.pairs, unit: 'share',
      note: `${this.pairs} held-out pairs, true RTT above estimate + stated error; error scale ${this.model.errorScale.toFixed(2)} (calibrated on each new pair's first sample); with Vivaldi's own error: ${(this.beyondRaw / this.pairs).toFixed(3)}`,
    };
  }
}

function simulated(): Figure[] {
  const rng = new Rng(5);
  const net = new NetworkModel({ seed: 5 });
  const model = new LatencyModel();
  const nodes: NetPoint[] = Array.from({ length: SIM_NODES }, (_, i) => {
    const site = rng.pick(SITES);
    return { ...netPointAt(site, `n${i}`), lat: site.lat + (rng.next() - 0.5) * 0.02, lon: site.lon + (rng.next() - 0.5) * 0.02 };
  });
  const landmarks = LANDMARKS.map((l) => netPointAt(l));
  const probed = new Set<string>();
  const peers = nodes.map((_, i) => Array.from({ length: SIM_PEERS }, () => {
    let j = rng.int(0, SIM_NODES - 1);
    if (j === i) j = (j + 1) % SIM_NODES;
    probed.add(pair(i, j));
    return j;
  }));
  let k = 0;
  const probe = (a: NetPoint, b: NetPoint) => {
    const r = net.probe(a, b, k++);
    if (!r.lost) model.observe(a.id, b.id, r.rttMs);
  };
  for (let round = 0; round < SIM_ROUNDS; round++) {
    for (let i = 0; i < SIM_NODES; i++) {
      for (const j of peers[i]!) probe(nodes[i]!, nodes[j]!);
      for (const l of landmarks) probe(nodes[i]!, l);
    }
  }
  const errors: number[] = [];
  const bound = new BoundCount(model);
  while (errors.length < SIM_HELD_OUT) {
    const i = rng.int(0, SIM_NODES - 1);
    const j = rng.int(0, SIM_NODES - 1);
    if (i === j || probed.has(pair(i, j))) continue;
    const truth = net.baseRttMs(nodes[i]!, nodes[j]!);
    const est = model.estimate(nodes[i]!.id, nodes[j]!.id);
    if (!est || est.measured) continue;
    errors.push(Math.abs(est.rttMs - truth) / truth);
    bound.add(truth, est);
  }
  return [{
    name: 'latency.model.median_rel_error', value: median(errors), unit: 'ratio',
    note: `${SIM_NODES} nodes on ${SITES.length} Fuzhou sites (simulated network, jitter on), each probing ${SIM_PEERS} fixed random peers + ${landmarks.length} landmarks for ${SIM_ROUNDS} rounds; `
      + `${SIM_HELD_OUT} never-probed pairs vs the network's base RTT; bar ≤ 0.15`,
  }, bound.figure('latency.model.beyond_bound')];
}

function real(): Figure[] {
  const rows = gunzipSync(readFileSync(`${FIXTURES}wondernetwork_2018_city_pairs.csv.gz`)).toString('utf8').trim().split('\n');
  const header = rows[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const [src, dst, minMs, pct] = [col('src_city'), col('dst_city'), col('rtt_min_ms'), col('pct_speed_of_light_fibre')];
  const rtt = new Map<string, number>();
  for (const line of rows.slice(1)) {
    const f = line.split(',');
    const a = f[src]!;
    const b = f[dst]!;
    const ms = Number(f[minMs]);
    if (a === b || !(ms > 0) || Number(f[pct]) > 100) continue;
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    rtt.set(key, Math.min(rtt.get(key) ?? Infinity, ms));
  }
  const byCity = new Map<string, string[]>();
  for (const key of rtt.keys()) {
    for (const c of key.split('\u0000')) {
      const list = byCity.get(c) ?? [];
      list.push(key);
      byCity.set(c, list);
    }
  }
  const rng = new Rng(2018);
  const train = new Set<string>();
  for (const keys of byCity.values()) {
    const pool = [...keys];
    for (let n = 0; n < REAL_TRAIN_PER_CITY && pool.length > 0; n++) {
      const i = rng.int(0, pool.length - 1);
      train.add(pool[i]!);
      pool[i] = pool[pool.length - 1]!;
      pool.pop();
    }
  }
  const model = new LatencyModel();
  const trainList = [...train];
  for (let round = 0; round < REAL_ROUNDS; round++) {
    for (let i = trainList.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [trainList[i], trainList[j]] = [trainList[j]!, trainList[i]!];
    }
    for (const key of trainList) {
      const [a, b] = key.split('\u0000') as [string, string];
      model.observe(a, b, rtt.get(key)!);
    }
  }
  const errors: number[] = [];
  const bound = new BoundCount(model);
  for (const [key, truth] of rtt) {
    if (train.has(key)) continue;
    const [a, b] = key.split('\u0000') as [string, string];
    const est = model.estimate(a, b);
    if (!est) continue;
    errors.push(Math.abs(est.rttMs - truth) / truth);
    if (!est.measured) bound.add(truth, est);
  }
  return [{
    name: 'latency.model.median_rel_error_real', value: median(errors), unit: 'ratio',
    note: `WonderNetwork 2018: ${byCity.size} cities, ${rtt.size} pairs (min RTT, min of both directions, >100 % of fibre light speed dropped); `
      + `${train.size} pairs trained (${REAL_TRAIN_PER_CITY} random per city, ${REAL_ROUNDS} rounds), ${errors.length} held out`,
  }, bound.figure('latency.model.beyond_bound_real')];
}

function pair(i: number, j: number): string {
  return i < j ? `${i}:${j}` : `${j}:${i}`;
}

export default async (): Promise<Figure[]> => [...simulated(), ...real()];
