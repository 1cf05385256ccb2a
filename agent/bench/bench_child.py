"""The protocol of Banyan's Python benchmark children (torch_gemm.py, numpy_gemm.py), in one place.

stdout: exactly one JSON object, {"ok": true, ...} or {"ok": false, "error": ..., "hint": ...}.
stderr: progress lines {"progress": 0..1, "phase": "..."}; anything else is diagnostics.
The agent reads both with agent/bench/child.ts.
"""
import json
import sys


def emit(obj, code=0):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def fail(error, hint):
    emit({"ok": False, "error": error, "hint": hint}, 2)


def progress(fraction, phase):
    sys.stderr.write(json.dumps({"progress": round(min(max(fraction, 0.0), 1.0), 3), "phase": phase}) + "\n")
    sys.stderr.flush()


def percentile(sorted_values, q):
    """Linear interpolation between closest ranks, as agent/probe/stats.ts does."""
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
