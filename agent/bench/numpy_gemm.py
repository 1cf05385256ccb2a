#!/usr/bin/env python3
"""Banyan FP32 GEMM benchmark of the host CPU through numpy and the BLAS it is linked to.

--probe: only reports numpy's version and which BLAS it runs (name, version, core, threads), so
the agent can pick a Python whose numpy has an optimised BLAS before it spends a budget on one.

Otherwise: throughput of a square FP32 GEMM (FLOPs = 2*N^3) into a preallocated output, warmed
up, median of the timed iterations; then the latency of a small, inference-sized GEMM, p50/p99.
The thread count must be fixed before numpy loads its BLAS: pass --threads (the agent also sets
OPENBLAS_NUM_THREADS & co. in the environment).

stdout: exactly one JSON object, {"ok": true, ...} or {"ok": false, "error": ..., "hint": ...}.
stderr: progress lines {"progress": 0..1, "phase": "..."}; anything else is diagnostics.
Runs on Python >= 3.7 and numpy >= 1.17 without other dependencies.
"""
import argparse
import ctypes
import os
import platform
import re
import time

from bench_child import emit, fail, percentile, progress

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def loaded_blas_libraries():
    """Shared libraries of this process that look like a BLAS, resolved to their real files."""
    found = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) < 6 or not parts[5].startswith("/"):
                    continue
                base = os.path.basename(parts[5]).lower()
                if ".so" in base and re.search(r"blas|mkl_rt|libmkl|blis", base):
                    path = os.path.realpath(parts[5])
                    if path not in found:
                        found.append(path)
    except OSError:
        pass
    return found


def c_string_call(lib, name):
    fn = getattr(lib, name, None)
    if fn is None:
        return None
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    value = fn()
    return value.decode("utf-8", "replace").strip() if value else ""


def c_int_call(lib, name):
    fn = getattr(lib, name, None)
    if fn is None:
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = []
    return int(fn())


def describe_library(path):
    """{name, version, core, threads, library} of one BLAS library, by the symbols it exports."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    # OpenBLAS, as built by distributions (plain names) and by scipy-openblas wheels (prefixed, 64-bit int).
    for prefix, suffix in (("", ""), ("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "_64")):
        config = c_string_call(lib, prefix + "openblas_get_config" + suffix)
        if config is None:
            continue
        version = re.search(r"OpenBLAS\s+([\w.]+)", config)
        return {
            "name": "openblas",
            "version": version.group(1) if version else "unknown",
            "core": c_string_call(lib, prefix + "openblas_get_corename" + suffix) or "unknown",
            "threads": c_int_call(lib, prefix + "openblas_get_num_threads" + suffix) or 0,
            "config": config,
            "library": path,
        }
    get_mkl = getattr(lib, "MKL_Get_Version_String", None)
    if get_mkl is not None:
        buf = ctypes.create_string_buffer(256)
        get_mkl(buf, 256)
        text = buf.value.decode("utf-8", "replace")
        version = re.search(r"(\d+(?:\.\d+)+)", text)
        return {
            "name": "mkl",
            "version": version.group(1) if version else "unknown",
            "core": text.strip(),
            "threads": c_int_call(lib, "MKL_Get_Max_Threads") or 0,
            "config": text.strip(),
            "library": path,
        }
    blis = c_string_call(lib, "bli_info_get_version_str")
    if blis is not None:
        return {"name": "blis", "version": blis or "unknown", "core": "unknown",
                "threads": c_int_call(lib, "bli_thread_get_num_threads") or 0, "config": blis, "library": path}
    if re.match(r"libblas\.so", os.path.basename(path)):
        # Debian's libblas3 (the netlib reference: unblocked loops, one thread) when no optimised
        # BLAS is chosen by update-alternatives.
        return {"name": "reference", "version": "netlib", "core": "none", "threads": 1, "config": "", "library": path}
    return None


def blas_info():
    described = [d for d in (describe_library(p) for p in loaded_blas_libraries()) if d]
    optimised = [d for d in described if d["name"] != "reference"]
    if optimised:
        return optimised[0]
    if described:
        return described[0]
    return {"name": "unknown", "version": "unknown", "core": "unknown", "threads": 0, "config": "", "library": ""}


def check(np, a, b, c):
    """A BLAS run with the wrong kernel for the CPU can compute garbage fast: compare two rows to float64."""
    for row in (0, a.shape[0] - 1):
        ref = a[row].astype(np.float64) @ b.astype(np.float64)
        err = float(np.max(np.abs(c[row] - ref)))
        scale = float(np.max(np.abs(ref))) or 1.0
        if not err <= 1e-3 * scale:
            fail("the BLAS computed a wrong GEMM (row %d off by %.3g, scale %.3g)" % (row, err, scale),
                 "its kernel does not suit this CPU: set OPENBLAS_CORETYPE for it or upgrade OpenBLAS/numpy")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--probe", action="store_true", help="report numpy and its BLAS, measure nothing")
    p.add_argument("--size", type=int, default=2048, help="N of the N^3 throughput GEMM (halved to fit the budget)")
    p.add_argument("--latency-size", type=int, default=64, help="N of the latency GEMM")
    p.add_argument("--budget-ms", type=float, default=5000, help="wall-clock budget, import included")
    p.add_argument("--threads", type=int, default=0, help="BLAS threads; 0 keeps the environment's")
    p.add_argument("--max-iters", type=int, default=200)
    return p.parse_args()


def main():
    started = time.perf_counter()
    args = parse_args()
    deadline = started + args.budget_ms / 1000.0
    if args.size <= 0 or args.latency_size <= 0:
        fail("sizes must be positive", "pass --size and --latency-size > 0")
    if args.threads > 0:
        for var in THREAD_VARS:
            os.environ[var] = str(args.threads)
    try:
        import numpy as np
    except Exception as e:  # noqa: BLE001 - any import failure means "no numpy here"
        fail("cannot import numpy: %s" % e, "install numpy for this Python (Debian: apt-get install python3-numpy libopenblas0) or set BANYAN_PYTHON")

    # The BLAS is loaded lazily by some builds: one tiny GEMM makes it show in the process maps.
    np.ones((4, 4), dtype=np.float32) @ np.ones((4, 4), dtype=np.float32)
    blas = blas_info()
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    base = {"ok": True, "numpy": np.__version__, "python": platform.python_version(), "blas": blas, "env": env}
    if args.probe:
        emit(base)

    rng = np.random.default_rng(7)

    def make(n):
        # Small values: repeated products never overflow or go denormal.
        a = (rng.random((n, n), dtype=np.float32) - 0.5) * 0.01
        b = (rng.random((n, n), dtype=np.float32) - 0.5) * 0.01
        return a, b, np.empty((n, n), dtype=np.float32)

    def once(a, b, c):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        return time.perf_counter() - t

    progress(0.05, "start")
    # Calibrate on a small GEMM so a slow BLAS cannot spend the whole budget on one large one.
    probe_n = min(args.size, 512)
    pa, pb, pc = make(probe_n)
    once(pa, pb, pc)
    flops_per_s = 2.0 * probe_n ** 3 / max(min(once(pa, pb, pc) for _ in range(3)), 1e-9)
    del pa, pb, pc
    through_budget = (deadline - time.perf_counter()) * 0.75
    size = args.size
    # Too big for a median of at least 6 in budget: halve, and the shape reported says so.
    while size > 128 and 8 * 2.0 * size ** 3 / flops_per_s > through_budget:
        size //= 2
    a, b, c = make(size)
    for _ in range(2):
        once(a, b, c)
    check(np, a, b, c)
    progress(0.15, "warmup")

    through_end = time.perf_counter() + (deadline - time.perf_counter()) * 0.75
    times_ms = []
    while len(times_ms) < args.max_iters and (len(times_ms) < 3 or time.perf_counter() < through_end):
        times_ms.append(once(a, b, c) * 1000.0)
        if len(times_ms) % 5 == 0:
            progress(0.15 + 0.6 * min(1.0, len(times_ms) / max(args.max_iters, 1)), "throughput")
    progress(0.75, "throughput")
    times_ms.sort()
    median_ms = percentile(times_ms, 0.5)
    del a, b, c

    lsize = min(args.latency_size, size)
    la, lb, lc = make(lsize)
    for _ in range(5):
        once(la, lb, lc)
    lat_end = max(deadline - 0.1, time.perf_counter() + 0.05)
    lat_ms = []
    while len(lat_ms) < 2000 and (len(lat_ms) < 10 or time.perf_counter() < lat_end):
        lat_ms.append(once(la, lb, lc) * 1000.0)
    lat_ms.sort()
    progress(1.0, "latency")

    # Threads as the BLAS reports them after the run, not as asked.
    blas = blas_info()
    base["blas"] = blas
    base.update({
        "threads": blas["threads"] if blas["threads"] > 0 else max(args.threads, 1),
        "throughput": {
            "n": size,
            "iterations": len(times_ms),
            "median_ms": median_ms,
            "gflops": 2.0 * size ** 3 / (median_ms / 1000.0) / 1e9,
        },
        "latency": {
            "n": lsize,
            "iterations": len(lat_ms),
            "p50_ms": percentile(lat_ms, 0.5),
            "p99_ms": percentile(lat_ms, 0.99),
        },
        "duration_ms": (time.perf_counter() - started) * 1000.0,
    })
    emit(base)


if __name__ == "__main__":
    main()
