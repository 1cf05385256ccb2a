// One CPU benchmark worker thread. Plain JavaScript so it starts without a TypeScript loader.
// workerData: { mode: 'throughput', n, rounds, roundMs, seed, barrier }
//           | { mode: 'latency', n, maxIterations, budgetMs, seed }
// Throughput workers allocate and warm up first, then wait on a shared barrier so all cores
// start their timed rounds together; each round posts { kind: 'round', flops, ms }.
import { parentPort, workerData } from 'node:worker_threads';
import { fillMatrix, gemmAccumulate } from './gemm-kernel.mjs';

const { mode, n, seed } = workerData;
const a = new Float32Array(n * n);
const b = new Float32Array(n * n);
const c = new Float32Array(n * n);
const packed = new Float32Array(n * n);
fillMatrix(a, seed);
fillMatrix(b, seed + 1);
const flopsPerGemm = 2 * n * n * n;

if (mode === 'throughput') {
  // Warm-up lets the JIT optimise the kernel before anything is timed.
  for (let i = 0; i < 3; i++) gemmAccumulate(a, b, c, n, packed);
  const barrier = new Int32Array(workerData.barrier);
  parentPort.postMessage({ kind: 'ready' });
  Atomics.wait(barrier, 0, 0);
  for (let r = 0; r < workerData.rounds; r++) {
    const t0 = performance.now();
    let gemms = 0;
    let now = t0;
    while (now - t0 < workerData.roundMs) {
      gemmAccumulate(a, b, c, n, packed);
      gemms++;
      now = performance.now();
    }
    parentPort.postMessage({ kind: 'round', round: r, flops: gemms * flopsPerGemm, ms: now - t0 });
  }
  parentPort.postMessage({ kind: 'done', checksum: c[0] + c[c.length - 1] });
} else if (mode === 'latency') {
  for (let i = 0; i < 5; i++) gemmAccumulate(a, b, c, n, packed);
  const samples = [];
  const t0 = performance.now();
  while (samples.length < workerData.maxIterations && performance.now() - t0 < workerData.budgetMs) {
    const s = performance.now();
    gemmAccumulate(a, b, c, n, packed);
    samples.push(performance.now() - s);
  }
  parentPort.postMessage({ kind: 'latency', samplesMs: samples, checksum: c[0] });
} else {
  throw new Error(`gemm-worker: unknown mode ${String(mode)}`);
}
