#!/usr/bin/env python3
"""Banyan GEMM benchmark on any PyTorch device (cuda/ROCm, npu, mlu, musa, xpu, gcu, cpu).

Throughput: a large square GEMM (FLOPs = 2*M*N*K), warmed up, each timed iteration preceded by a
write to a buffer larger than the device's last-level cache so it starts cold, timed with device
events where the backend has them (else synchronize + perf_counter), median of the iterations.
Latency: a small, inference-sized GEMM timed from the host with a synchronize, as a request
would see it (launch + compute), p50/p99.

stdout: exactly one JSON object, {"ok": true, ...} or {"ok": false, "error": ..., "hint": ...}.
stderr: progress lines {"progress": 0..1, "phase": "..."}; anything else is diagnostics.
Runs on torch >= 1.13 (Debian bookworm's python3-torch) without other dependencies.
"""
import argparse
import os
import platform
import time

from bench_child import emit, fail, percentile, progress

# The vendor plugin that registers each device type with torch.
DEVICE_MODULES = {
    "npu": "torch_npu",
    "mlu": "torch_mlu",
    "musa": "torch_musa",
    "gcu": "torch_gcu",
}
DTYPES = ("fp16", "bf16", "fp32")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", required=True, help="cuda | npu | mlu | musa | xpu | gcu | cpu")
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--dtype", choices=DTYPES, default="fp16")
    p.add_argument("--size", type=int, default=8192, help="M=N=K of the throughput GEMM")
    p.add_argument("--latency-size", type=int, default=1024, help="M=N=K of the latency GEMM")
    p.add_argument("--budget-ms", type=float, default=20000, help="wall-clock budget, import included")
    p.add_argument("--flush-mib", type=int, default=512, help="cache-flush buffer; 0 disables")
    p.add_argument("--max-iters", type=int, default=200)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 keeps torch's default")
    return p.parse_args()


def main():
    started = time.perf_counter()
    args = parse_args()
    deadline = started + args.budget_ms / 1000.0
    if args.size <= 0 or args.latency_size <= 0:
        fail("sizes must be positive", "pass --size and --latency-size > 0")

    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
        fail("cannot import torch: %s" % e, "install PyTorch for this device (Debian: apt-get install python3-torch) or set BANYAN_PYTHON")
    module_name = DEVICE_MODULES.get(args.device)
    plugin_version = None
    if module_name:
        try:
            plugin = __import__(module_name)
            plugin_version = getattr(plugin, "__version__", "unknown")
        except Exception as e:  # noqa: BLE001
            fail("cannot import %s: %s" % (module_name, e), "install the vendor's PyTorch plugin %s" % module_name)

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[args.dtype]
    is_cpu = args.device == "cpu"
    dev_mod = None if is_cpu else getattr(torch, args.device, None)
    if not is_cpu:
        if dev_mod is None or not dev_mod.is_available():
            fail("torch device '%s' is not available" % args.device, "check the driver and the %s build of PyTorch" % args.device)
        if args.index >= dev_mod.device_count():
            fail("device %s:%d does not exist (%d visible)" % (args.device, args.index, dev_mod.device_count()),
                 "check *_VISIBLE_DEVICES and the accelerator index")
        dev_mod.set_device(args.index)
    device = torch.device("cpu") if is_cpu else torch.device(args.device, args.index)

    def sync():
        if dev_mod is not None:
            dev_mod.synchronize()

    event_cls = getattr(dev_mod, "Event", None) if dev_mod is not None else None

    def make_gemm(n):
        a = torch.randn(n, n, device=device, dtype=torch.float32).to(dtype)
        b = torch.randn(n, n, device=device, dtype=torch.float32).to(dtype)
        return a, b

    try:
        torch.matmul(*make_gemm(8))
    except Exception as e:  # noqa: BLE001
        fail("%s matmul is unsupported on %s: %s" % (args.dtype, args.device, e),
             "pass --dtype fp32 (FP16-eq then uses the fp32x2 rule, flagged weak)")

    flush = torch.empty(args.flush_mib * (1 << 20) // 4, device=device, dtype=torch.float32) if args.flush_mib > 0 else None
    progress(0.05, "start")

    def first_run(n):
        """Allocates an n-cubed GEMM and times one untimed-loop run of it, in seconds."""
        x, y = make_gemm(n)
        sync()
        t = time.perf_counter()
        torch.matmul(x, y)
        sync()
        return x, y, time.perf_counter() - t

    # Throughput gets 75 % of what remains, latency the rest.
    # Calibrate on a small GEMM first: a full-size first run on a slow CPU could eat the whole
    # budget. Launch overhead makes the estimate pessimistic on accelerators, never optimistic.
    probe_n = min(args.size, 512)
    _, _, probe_s = first_run(probe_n)
    flops_per_s = 2.0 * probe_n ** 3 / max(probe_s, 1e-9)
    through_budget = (deadline - time.perf_counter()) * 0.75
    size = args.size
    # Too big for a median of at least 6 in budget: halve, and the shape reported says so.
    while size > 256 and 6 * 2.0 * size ** 3 / flops_per_s > through_budget:
        size //= 2
    a, b, _ = first_run(size)
    through_budget = (deadline - time.perf_counter()) * 0.75
    for _ in range(2):
        torch.matmul(a, b)
    sync()
    progress(0.15, "warmup")

    through_end = time.perf_counter() + through_budget
    times_ms = []
    while len(times_ms) < args.max_iters and (len(times_ms) < 3 or time.perf_counter() < through_end):
        if flush is not None:
            flush.fill_(len(times_ms))
        if event_cls is not None:
            start_ev = event_cls(enable_timing=True)
            end_ev = event_cls(enable_timing=True)
            start_ev.record()
            torch.matmul(a, b)
            end_ev.record()
            end_ev.synchronize()
            times_ms.append(start_ev.elapsed_time(end_ev))
        else:
            sync()
            t = time.perf_counter()
            torch.matmul(a, b)
            sync()
            times_ms.append((time.perf_counter() - t) * 1000.0)
        if len(times_ms) % 5 == 0:
            progress(0.15 + 0.6 * min(1.0, 1 - (through_end - time.perf_counter()) / max(through_budget, 1e-9)), "throughput")
    progress(0.75, "throughput")
    times_ms.sort()
    median_ms = percentile(times_ms, 0.5)
    flops = 2.0 * size * size * size
    del a, b, flush

    lsize = min(args.latency_size, size)
    la, lb = make_gemm(lsize)
    for _ in range(5):
        torch.matmul(la, lb)
    sync()
    lat_end = max(deadline - 0.2, time.perf_counter() + 0.05)
    lat_ms = []
    while len(lat_ms) < 1000 and (len(lat_ms) < 10 or time.perf_counter() < lat_end):
        t = time.perf_counter()
        torch.matmul(la, lb)
        sync()
        lat_ms.append((time.perf_counter() - t) * 1000.0)
    lat_ms.sort()
    progress(1.0, "latency")

    versions = {"torch": torch.__version__, "python": platform.python_version()}
    if getattr(torch.version, "cuda", None):
        versions["cuda"] = torch.version.cuda
    if getattr(torch.version, "hip", None):
        versions["hip"] = torch.version.hip
    if module_name and plugin_version:
        versions[module_name] = str(plugin_version)
    device_name = platform.processor() or platform.machine()
    if dev_mod is not None and hasattr(dev_mod, "get_device_name"):
        try:
            device_name = dev_mod.get_device_name(args.index)
        except Exception:  # noqa: BLE001 - the name is informative only
            pass
    emit({
        "ok": True,
        "device": str(device),
        "device_name": device_name,
        "dtype": args.dtype,
        "timing": "device-events" if event_cls is not None else "synchronize+perf_counter",
        "threads": torch.get_num_threads(),
        "throughput": {
            "m": size, "n": size, "k": size,
            "iterations": len(times_ms),
            "median_ms": median_ms,
            "tflops": flops / (median_ms / 1000.0) / 1e12,
        },
        "latency": {
            "m": lsize, "n": lsize, "k": lsize,
            "iterations": len(lat_ms),
            "p50_ms": percentile(lat_ms, 0.5),
            "p99_ms": percentile(lat_ms, 0.99),
        },
        "versions": versions,
        "duration_ms": (time.perf_counter() - started) * 1000.0,
    })


if __name__ == "__main__":
    main()
