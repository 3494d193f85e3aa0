#!/usr/bin/env python3
"""Prints, per criterion benchmark, the median and the p10/p90/p99 of the
per-iteration time across criterion's samples (target/criterion/*/new)."""
import json, pathlib, statistics

def fmt(ns):
    return f"{ns/1e6:.3f} ms" if ns >= 1e6 else (f"{ns/1e3:.2f} µs" if ns >= 1e3 else f"{ns:.0f} ns")

root = pathlib.Path("target/criterion")
for est in sorted(root.glob("**/new/estimates.json")):
    name = str(est.parent.parent.relative_to(root))
    sample = json.loads((est.parent / "sample.json").read_text())
    per_iter = sorted(t / n for t, n in zip(sample["times"], sample["iters"]))
    q = statistics.quantiles(per_iter, n=100)
    median = json.loads(est.read_text())["median"]["point_estimate"]
    print(f"{name:60s} median {fmt(median):>10s}  p10 {fmt(q[9]):>10s}  p90 {fmt(q[89]):>10s}  p99 {fmt(q[98]):>10s}")
