#!/usr/bin/env python3
"""Time of `eastwest check` on a generated mesh: K clusters x S services (default 100 x 200).

    python3 scripts/bench_check.py [--clusters K] [--services S] [--runs N]

Needs a release build (target/release/eastwest). Each cluster's render is made by
eastwest itself: the real istiod chart (testdata/corpus/istiod.yaml) run with
`--cluster`, plus the app chart's Service and Deployment of each service running there,
also run through eastwest. Every cluster may call every other, each service runs in one
cluster, so the mesh has (K-1) x S call paths. The renders are written once; only
`eastwest check` is timed (best and median of N runs). It is also timed at K/4 and K/2
clusters, to show the time grows linearly with the number of paths. Goal: under 2 s at
100 x 200. Python stdlib only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EASTWEST = os.path.join(ROOT, "target", "release", "eastwest")
ISTIOD = os.path.join(ROOT, "testdata", "corpus", "istiod.yaml")


def config(k, s):
    lines = [
        "apiVersion: eastwest.dev/v1alpha1",
        "kind: MeshNetwork",
        "metadata: {name: bench}",
        "spec:",
        "  meshID: bench",
        "  trustDomain: corp.local",
        "  clusters:",
    ]
    for i in range(k):
        lines.append(f"    - {{name: c{i}, network: net-{i}, gateway: {{address: 10.{i // 250}.{i % 250}.1}}}}")
    lines.append("  services:")
    for j in range(s):
        lines.append(
            f"    - {{name: svc{j}, namespace: ns{j % 20}, clusters: [c{j % k}], hosts: [svc{j}.ns{j % 20}.mesh.local],"
            f" ports: [{{name: http, number: 80, protocol: HTTP}}], selector: {{app: svc{j}}}}}"
        )
    return "\n".join(lines) + "\n"


def app(name, ns):
    return f"""---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    app: {name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: registry.k8s.io/e2e-test-images/agnhost:2.45
"""


def render_mesh(dir, k, s):
    cfg = os.path.join(dir, "mesh.yaml")
    with open(cfg, "w") as f:
        f.write(config(k, s))
    with open(ISTIOD) as f:
        istiod = f.read()
    args = []
    for i in range(k):
        apps = "".join(app(f"svc{j}", f"ns{j % 20}") for j in range(s) if j % k == i)
        out = []
        for stream in (istiod, apps):
            if not stream:
                continue
            p = subprocess.run([EASTWEST, "--config", cfg, "--cluster", f"c{i}"], input=stream, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"bench_check: rendering c{i} failed: {p.stderr.strip()}")
            out.append(p.stdout)
        path = os.path.join(dir, f"c{i}.yaml")
        with open(path, "w") as f:
            f.write("\n---\n".join(out))
        args.append(f"c{i}={path}")
    return cfg, args


def time_check(cfg, args, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run([EASTWEST, "check", "--config", cfg, "--output", "json", *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        # Warnings (no cacerts in these renders) are expected; errors are not.
        if p.returncode != 0:
            sys.exit(f"bench_check: check failed ({p.returncode}): {p.stderr.strip() or p.stdout[:2000]}")
    return min(times), statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", type=int, default=100)
    ap.add_argument("--services", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not os.access(EASTWEST, os.X_OK):
        sys.exit("bench_check: build first (cargo build --release)")
    print(f"eastwest check: generated meshes, {a.services} services, every cluster calls every other")
    rows = []
    for k in sorted({max(2, a.clusters // 4), max(2, a.clusters // 2), a.clusters}):
        with tempfile.TemporaryDirectory(prefix="eastwest-bench-check-") as dir:
            t0 = time.perf_counter()
            cfg, args = render_mesh(dir, k, a.services)
            size = sum(os.path.getsize(p.split("=", 1)[1]) for p in args)
            rendered = time.perf_counter() - t0
            best, median = time_check(cfg, args, a.runs)
            paths = (k - 1) * a.services
            rows.append((k, paths, best))
            print(
                f"  {k:4d} clusters x {a.services} services: {paths:6d} paths, renders {size / 1e6:6.1f} MB"
                f" (made in {rendered:4.1f} s); check best {best:6.3f} s, median {median:6.3f} s,"
                f" {best / paths * 1e6:6.1f} us/path"
            )
    k, paths, best = rows[-1]
    verdict = "under" if best < 2.0 else "OVER"
    print(f"check, {k} clusters x {a.services} services: {best:.3f} s ({verdict} the 2 s goal)")


if __name__ == "__main__":
    main()
