// Measured throughput and compute latency of this node's CPU and accelerators.
export { runBenchmarks, defaultBackends, cpuTarget, DEFAULT_BUDGET_MS, type RunBenchmarksOptions, type BenchOutcome, type BenchRun } from './run.ts';
export { BenchCache, defaultCachePath, cacheKey } from './cache.ts';
export { cpuBackend, type CpuBackendOptions } from './cpu/backend.ts';
export { cpuPeak, parseCpuinfo, readCpuFacts, fp32FlopsPerCycle, type CpuFacts, type CpuPeak } from './cpu/peak.ts';
export { measureCpuGemm, type CpuGemmMeasurement, type CpuGemmOptions } from './cpu/measure.ts';
export { torchBackend, TORCH_SCRIPT, type TorchBackendOptions, type TorchShape, type TorchDtype } from './torch/backend.ts';
export { findTorchPython, type PythonProbe } from './torch/python.ts';
export { pythonCandidates } from './python.ts';
export { findNumpyPython, measureNumpyGemm, numpyKernelLabel, NUMPY_SCRIPT, type NumpyProbe, type NumpyGemmMeasurement } from './cpu/numpy.ts';
export { torchDeviceFor, type TorchDevice } from './torch/devices.ts';
export { commandBackend, CommandOutput, type CommandBackendOptions } from './command/backend.ts';
export { gemmFlops, tflopsOf, ratioTo } from './flops.ts';
export { BenchError, BACKEND_NAMES, targetOf, type BackendName, type BenchBackend, type BenchTarget, type CpuTarget, type BenchProgress, type BenchRunOptions, type Availability } from './types.ts';
