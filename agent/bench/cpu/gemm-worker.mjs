// One CPU benchmark worker, a child process forked by measure.ts. A process rather than a worker
// thread because V8 flags are per process: the agent may run --jitless, this must not. Plain
// JavaScript so it starts without a TypeScript loader.
// argv[2], JSON: { mode: 'throughput', n, rounds, roundMs, seed }
//              | { mode: 'latency', n, maxIterations, budgetMs, seed }
// Throughput workers allocate and warm up first, send { kind: 'ready' }, then wait for the
// parent's { kind: 'go' } so all cores start their timed rounds together; each round sends
// { kind: 'round', flops, ms }.
import { fillMatrix, gemmAccumulate } from './gemm-kernel.mjs';

if (!process.send) throw new Error('gemm-worker must be started by the agent (child_process.fork)');
// The agent died or dropped us: stop rather than burn a core for nobody. The GEMM loops yield now
// and then so this is seen mid-run, not only between rounds.
process.on('disconnect', () => process.exit(0));

const YIELD_EVERY_MS = 50;
const params = JSON.parse(process.argv[2] ?? '{}');
const { mode, n, seed } = params;

const a = new Float32Array(n * n);
const b = new Float32Array(n * n);
const c = new Float32Array(n * n);
const packed = new Float32Array(n * n);
fillMatrix(a, seed);
fillMatrix(b, seed + 1);
const flopsPerGemm = 2 * n * n * n;
let lastYield = performance.now();

/** Runs pending events (a disconnect) if a while has passed; returns the time after. */
async function maybeYield(now) {
  if (now - lastYield < YIELD_EVERY_MS) return now;
  await new Promise(setImmediate);
  lastYield = performance.now();
  return lastYield;
}

/** Sends the last message, then exits: the IPC listeners would otherwise keep the process up. */
function finish(msg) {
  process.send(msg, () => process.exit(0));
}

async function throughput() {
  // Listen before saying ready, so the go cannot arrive unheard.
  const go = new Promise((resolve) => {
    process.on('message', function onMessage(m) {
      if (m?.kind !== 'go') throw new Error(`gemm-worker: unexpected message ${JSON.stringify(m)}`);
      process.off('message', onMessage);
      resolve();
    });
  });
  // Warm-up lets the JIT optimise the kernel before anything is timed.
  for (let i = 0; i < 3; i++) gemmAccumulate(a, b, c, n, packed);
  process.send({ kind: 'ready' });
  await go;
  for (let r = 0; r < params.rounds; r++) {
    const t0 = performance.now();
    let gemms = 0;
    let now = t0;
    while (now - t0 < params.roundMs) {
      gemmAccumulate(a, b, c, n, packed);
      gemms++;
      now = await maybeYield(performance.now());
    }
    process.send({ kind: 'round', round: r, flops: gemms * flopsPerGemm, ms: now - t0 });
  }
  finish({ kind: 'done', checksum: c[0] + c[c.length - 1] });
}

async function latency() {
  for (let i = 0; i < 5; i++) gemmAccumulate(a, b, c, n, packed);
  const samples = [];
  const t0 = performance.now();
  while (samples.length < params.maxIterations && performance.now() - t0 < params.budgetMs) {
    const s = performance.now();
    gemmAccumulate(a, b, c, n, packed);
    const e = performance.now();
    samples.push(e - s);
    await maybeYield(e);
  }
  finish({ kind: 'latency', samplesMs: samples, checksum: c[0] });
}

if (mode === 'throughput') await throughput();
else if (mode === 'latency') await latency();
else throw new Error(`gemm-worker: unknown mode ${String(mode)}`);
