#!/usr/bin/env python3
"""Speed and memory of eastwest, against `kubectl kustomize` doing a comparable job.

    python3 scripts/bench.py [--runs N] [--peer-runs M] [--small-runs P] [--scale-runs Q]

Needs a release build (target/release/eastwest; `make bench` builds it) and the real
corpus in testdata/corpus (override with EASTWEST_CORPUS=DIR). The peer, kubectl from
.tools/bin (`bash scripts/fetch-tools.sh`, or EASTWEST_TOOLS=DIR), is skipped with a note
when it is missing.

Cases:
  big     9 corpus files concatenated (8.26 MB, 256 objects), eastwest --config
          testdata/configs/two-clusters.yaml, vs `kubectl kustomize` with a `labels:`
          transformer setting topology.istio.io/network on every object and template.
  small   podinfo.yaml alone (a typical small chart).
  scale   eastwest generate --config <generated K clusters x S services> (the standalone set).
  docs    streams of 1000..8000 small ConfigMaps: time must grow linearly with the count.
  many    memory on many small documents: 50 000 tiny ConfigMaps and 50 000 small
          Deployments (a quarter of them in a workload namespace, so edited and checked);
          peak RSS as a multiple of the input (goal <= 4x for any stream of 1 MB or more).
  check   what the edit check (every edited document read back and compared) costs: the
          time eastwest reports under EASTWEST_TIMINGS=1, on the big input and on the
          Deployments of `many`.

Every child is started by this process and reaped with os.wait4, so its wall time and its
own peak RSS (ru_maxrss) are measured without anything else in between. Python stdlib only.
"""

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EASTWEST = os.path.join(ROOT, "target", "release", "eastwest")
CONFIG = os.path.join(ROOT, "testdata", "configs", "two-clusters.yaml")
CORPUS = os.environ.get("EASTWEST_CORPUS") or os.path.join(ROOT, "testdata", "corpus")
TOOLS = os.environ.get("EASTWEST_TOOLS") or os.path.join(ROOT, ".tools")
KUBECTL = os.path.join(TOOLS, "bin", "kubectl")

BIG_FILES = [
    "argo-cd", "gateway", "gateway-eastwest-us", "istio-base", "istio-cni",
    "istiod", "kube-prometheus-stack-crds", "podinfo", "ztunnel",
]
SMALL_FILE = "podinfo"
SCALE_POINTS = [(10, 20), (25, 50), (50, 100), (100, 200)]
DOC_POINTS = [1000, 2000, 4000, 8000]

# Goals, shown next to the figures.
GOAL_SPEEDUP = 50.0          # eastwest at least this many times faster than kustomize
GOAL_BIG_MS = 70.0           # median wall time on the 8.26 MB input
GOAL_RSS_MULTIPLE = 4.0      # eastwest peak RSS / input bytes
GOAL_SMALL_MS = 5.0          # podinfo median
GOAL_SCALE_S = 1.0           # largest scale point
GOAL_SCALE_LINEAR = 1.5      # time growth / config growth between points, at most
GOAL_DOCS_LINEAR = 1.5       # time growth / document count growth, at most


class BenchError(Exception):
    pass


class Run:
    def __init__(self, seconds, max_rss_kb, status, out_bytes, stderr=""):
        self.seconds = seconds
        self.max_rss = max_rss_kb * 1024  # Linux reports ru_maxrss in KiB
        self.status = status
        self.out_bytes = out_bytes
        self.stderr = stderr


def run_once(argv, stdin_path, cwd=None):
    """Start argv with stdin from stdin_path and stdout/stderr to temp files; reap with wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, open(stdin_path, "rb") as inp:
        saved = os.getcwd()
        if cwd:
            os.chdir(cwd)
        try:
            start = time.perf_counter()
            pid = os.posix_spawn(
                argv[0], argv, os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, inp.fileno(), 0),
                    (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                    (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
                ],
            )
            _, status, usage = os.wait4(pid, 0)
            seconds = time.perf_counter() - start
        finally:
            os.chdir(saved)
        out_bytes = os.fstat(out.fileno()).st_size
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode("utf-8", "replace").strip()
        if code != 0:
            raise BenchError(f"{' '.join(argv)} failed (exit {code}): {message[:500]}")
        return Run(seconds, usage.ru_maxrss, code, out_bytes, message)


def run_many(argv, stdin_path, n, cwd=None, warmup=1):
    for _ in range(warmup):
        run_once(argv, stdin_path, cwd)
    return [run_once(argv, stdin_path, cwd) for _ in range(n)]


def median_s(runs):
    return statistics.median(r.seconds for r in runs)


def peak_rss(runs):
    return max(r.max_rss for r in runs)


def ms(s):
    return f"{s * 1000:.1f} ms"


def mib(b):
    return f"{b / (1024 * 1024):.1f} MiB"


def verdict(ok):
    return "ok" if ok else "MISSED"


# --- input -----------------------------------------------------------------------------

DOC_MARKER = re.compile(r"^---(?:[ \t].*)?$", re.M)


def object_id(doc):
    """(apiVersion, kind, namespace, name) from a block-style document, or None."""
    top = {}
    meta = {}
    in_meta = False
    for line in doc.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "\t")):
            in_meta = line.startswith("metadata:")
            m = re.match(r"(apiVersion|kind):\s*(\S+)", line)
            if m:
                top[m.group(1)] = m.group(2).strip("'\"")
        elif in_meta:
            m = re.match(r"  (name|namespace):\s*(\S+)", line)
            if m:
                meta[m.group(1)] = m.group(2).strip("'\"")
    if "kind" not in top:
        return None
    return (top.get("apiVersion", ""), top["kind"], meta.get("namespace", ""), meta.get("name", ""))


def build_big_input(path):
    """Concatenate BIG_FILES into path, dropping any object already seen.

    Streams one document at a time so this process stays small: a child's ru_maxrss starts
    from the spawner's own peak RSS (Linux carries it across fork and exec), so a big
    spawner would hide small children. Returns (bytes, objects, dropped duplicates).
    """
    seen = set()
    dropped = 0
    size = 0
    with open(path, "w", encoding="utf-8", newline="") as out:

        def flush(doc_lines):
            nonlocal dropped, size
            if not doc_lines:
                return
            doc = "".join(doc_lines)
            oid = object_id(doc)
            if oid is not None:
                if oid in seen:
                    dropped += 1
                    return
                seen.add(oid)
            out.write(doc)
            size += len(doc.encode("utf-8"))

        for name in BIG_FILES:
            doc_lines = []
            with open(os.path.join(CORPUS, name + ".yaml"), encoding="utf-8", newline="") as f:
                for line in f:
                    if DOC_MARKER.match(line.rstrip("\r\n")):
                        flush(doc_lines)
                        doc_lines = []
                    doc_lines.append(line)
            if doc_lines and not doc_lines[-1].endswith("\n"):
                doc_lines[-1] += "\n"
            flush(doc_lines)
    return size, len(seen), dropped


def in_child(fn, *args):
    """fn(*args) in a forked child, so its memory never raises this process's peak RSS."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            result = repr(fn(*args))
        except BaseException as e:  # report anything, then leave without cleanup
            result, code = repr(f"{type(e).__name__}: {e}"), 1
        os.write(w, result.encode())
        os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    value = ast.literal_eval(text)
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"preparing input failed: {value}")
    return value


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- input.yaml
labels:
- pairs:
    topology.istio.io/network: us-net
  includeTemplates: true
"""


def scale_config(k, s):
    """A MeshNetwork with k clusters and s exported services, rendered for cluster c0."""
    out = [
        "apiVersion: eastwest.dev/v1alpha1",
        "kind: MeshNetwork",
        f"metadata: {{name: scale-{k}x{s}}}",
        "spec:",
        "  meshID: scale-mesh",
        "  cluster: c0",
        "  clusters:",
    ]
    for i in range(k):
        out += [
            f"  - name: c{i}",
            f"    network: n{i}",
            "    locality: r0",
            f"    gateway: {{address: 10.0.{i // 250}.{i % 250 + 1}}}",
        ]
    out.append("  services:")
    for j in range(s):
        out += [
            f"  - name: svc{j}",
            "    namespace: ns0",
            f"    clusters: [c{j % k}]",
            f"    hosts: [svc{j}.mesh.local]",
            f"    selector: {{app: svc{j}}}",
            "    ports: [{name: http, number: 80, protocol: HTTP}]",
        ]
    return "\n".join(out) + "\n"


# --- main ------------------------------------------------------------------------------


def bench_big(args, kdir, summary):
    big = os.path.join(kdir, "input.yaml")
    size, objects, dropped = in_child(build_big_input, big)
    with open(os.path.join(kdir, "kustomization.yaml"), "w") as f:
        f.write(KUSTOMIZATION)
    print(f"[big] {len(BIG_FILES)} corpus files, {size / 1e6:.2f} MB, {objects} objects"
          + (f" ({dropped} duplicate objects dropped)" if dropped else ""))

    ew = run_many([EASTWEST, "--config", CONFIG], big, args.runs)
    ew_med = median_s(ew)
    ew_rss = peak_rss(ew)
    rss_multiple = ew_rss / size
    big_ok = ew_med * 1000 <= GOAL_BIG_MS
    rss_ok = rss_multiple <= GOAL_RSS_MULTIPLE
    print(f"  eastwest                 median {ms(ew_med):>10}  (min {ms(min(r.seconds for r in ew))}, "
          f"max {ms(max(r.seconds for r in ew))}, n={len(ew)})  goal <= {GOAL_BIG_MS:.0f} ms: {verdict(big_ok)}")
    print(f"  eastwest peak RSS               {mib(ew_rss):>10}  = {rss_multiple:.2f}x input  "
          f"goal <= {GOAL_RSS_MULTIPLE:.0f}x: {verdict(rss_ok)}")
    print(f"  eastwest output                 {ew[0].out_bytes / 1e6:.2f} MB")
    summary.append(f"big input {size / 1e6:.2f} MB, {objects} objects: eastwest median {ms(ew_med)} "
                   f"({verdict(big_ok)}, goal <= {GOAL_BIG_MS:.0f} ms)")
    summary.append(f"eastwest peak RSS {mib(ew_rss)} = {rss_multiple:.2f}x input "
                   f"({verdict(rss_ok)}, goal <= {GOAL_RSS_MULTIPLE:.0f}x)")

    if args.peer_runs < 1:
        print("  kubectl kustomize SKIPPED (--peer-runs 0)")
        summary.append("vs kubectl kustomize: SKIPPED (--peer-runs 0)")
        return
    if not os.access(KUBECTL, os.X_OK):
        print(f"  kubectl kustomize SKIPPED: {KUBECTL} missing (run `bash scripts/fetch-tools.sh`)")
        summary.append("vs kubectl kustomize: SKIPPED (kubectl missing; run bash scripts/fetch-tools.sh)")
        return
    kz = run_many([KUBECTL, "kustomize", kdir], big, args.peer_runs, warmup=0)
    kz_med = median_s(kz)
    kz_rss = peak_rss(kz)
    speedup = kz_med / ew_med
    print(f"  kubectl kustomize        median {ms(kz_med):>10}  (n={len(kz)}), "
          f"peak RSS {mib(kz_rss)} = {kz_rss / size:.2f}x input, output {kz[0].out_bytes / 1e6:.2f} MB")
    print(f"  speed ratio              eastwest is {speedup:.1f}x faster  "
          f"goal >= {GOAL_SPEEDUP:.0f}x: {verdict(speedup >= GOAL_SPEEDUP)}")
    summary.append(f"kubectl kustomize median {ms(kz_med)}, peak RSS {mib(kz_rss)}: eastwest is "
                   f"{speedup:.1f}x faster ({verdict(speedup >= GOAL_SPEEDUP)}, goal >= {GOAL_SPEEDUP:.0f}x)")


def bench_small(args, summary):
    small = os.path.join(CORPUS, SMALL_FILE + ".yaml")
    print(f"[small] {SMALL_FILE}.yaml, {os.path.getsize(small)} bytes")
    sm = run_many([EASTWEST, "--config", CONFIG], small, args.small_runs, warmup=3)
    sm_med = median_s(sm)
    ok = sm_med * 1000 < GOAL_SMALL_MS
    print(f"  eastwest                 median {ms(sm_med):>10}  (min {ms(min(r.seconds for r in sm))}, "
          f"n={len(sm)}), peak RSS {mib(peak_rss(sm))}  goal < {GOAL_SMALL_MS:.0f} ms: {verdict(ok)}")
    summary.append(f"podinfo: median {ms(sm_med)} ({verdict(ok)}, goal < {GOAL_SMALL_MS:.0f} ms)")


def bench_scale(args, tmp, summary):
    print("[scale] eastwest generate --config <K clusters x S services>  (standalone set of cluster c0)")
    print(f"  {'K x S':>10} {'config B':>10} {'output B':>10} {'median':>10} {'peak RSS':>10} "
          f"{'config x':>9} {'time x':>7} {'output x':>9}")
    points = []
    for k, s in SCALE_POINTS:
        cfg = os.path.join(tmp, f"mesh-{k}x{s}.yaml")
        with open(cfg, "w") as f:
            f.write(scale_config(k, s))
        cfg_bytes = os.path.getsize(cfg)
        runs = run_many([EASTWEST, "generate", "--config", cfg], os.devnull, args.scale_runs)
        med = median_s(runs)
        out_bytes = runs[0].out_bytes
        growth = ""
        if points:
            _, _, pcfg, pout, pmed = points[-1]
            out_growth = f"{out_bytes / pout:.2f}" if pout else "-"
            growth = f"{cfg_bytes / pcfg:>9.2f} {med / pmed:>7.2f} {out_growth:>9}"
        print(f"  {f'{k}x{s}':>10} {cfg_bytes:>10} {out_bytes:>10} {ms(med):>10} {mib(peak_rss(runs)):>10} {growth}")
        points.append((k, s, cfg_bytes, out_bytes, med))
    # Linear: between consecutive points, time grows no faster than the config does (the
    # fixed start-up cost only makes the small points look slower, never faster).
    worst = max((b[4] / a[4]) / (b[2] / a[2]) for a, b in zip(points, points[1:]))
    out_worst = max(((b[3] / a[3]) / (b[2] / a[2]) for a, b in zip(points, points[1:]) if a[3]), default=0.0)
    k, s, _, out_bytes, med = points[-1]
    time_ok = med < GOAL_SCALE_S
    linear_ok = worst <= GOAL_SCALE_LINEAR
    if all(p[3] == 0 for p in points):
        print("  note: standalone generation printed nothing at any point (not written yet?)")
    print(f"  largest {k}x{s}: {ms(med)}, {out_bytes} output bytes  goal < {GOAL_SCALE_S:.0f} s: {verdict(time_ok)}")
    print(f"  worst (time growth / config growth) {worst:.2f}, (output growth / config growth) {out_worst:.2f}  "
          f"goal <= {GOAL_SCALE_LINEAR} (linear): {verdict(linear_ok)}")
    summary.append(f"scale {k}x{s}: median {ms(med)}, {out_bytes} output bytes ({verdict(time_ok)}, goal < "
                   f"{GOAL_SCALE_S:.0f} s); time grows {'linearly' if linear_ok else 'FASTER THAN LINEARLY'} "
                   f"(worst time/config growth {worst:.2f}, goal <= {GOAL_SCALE_LINEAR})")


def bench_docs(args, tmp, summary):
    print("[docs] streams of N small ConfigMaps (Helm charts with many objects; time must grow linearly)")
    print(f"  {'N':>6} {'bytes':>10} {'median':>10} {'docs x':>7} {'time x':>7}")
    points = []
    for n in DOC_POINTS:
        path = os.path.join(tmp, f"docs-{n}.yaml")
        with open(path, "w") as f:
            for i in range(n):
                f.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: apps\n"
                        f"data:\n  key: value-{i}\n")
        runs = run_many([EASTWEST, "--config", CONFIG], path, 3, warmup=0)
        med = median_s(runs)
        growth = f"{n / points[-1][0]:>7.2f} {med / points[-1][1]:>7.2f}" if points else ""
        print(f"  {n:>6} {os.path.getsize(path):>10} {ms(med):>10} {growth}")
        points.append((n, med))
    worst = max((b[1] / a[1]) / (b[0] / a[0]) for a, b in zip(points, points[1:]))
    ok = worst <= GOAL_DOCS_LINEAR
    n, med = points[-1]
    print(f"  worst (time growth / document growth) {worst:.2f}  goal <= {GOAL_DOCS_LINEAR} (linear): {verdict(ok)}")
    summary.append(f"{n} small documents: median {ms(med)}; time grows "
                   f"{'linearly' if ok else 'FASTER THAN LINEARLY'} with the document count "
                   f"(worst time/count growth {worst:.2f}, goal <= {GOAL_DOCS_LINEAR})")


MANY_DOCS = 50000
# Cluster us of two-clusters.yaml with workload namespace "apps": the Deployments there are
# edited (network label on their pods), the others only read.
MANY_CONFIG = """\
apiVersion: eastwest.dev/v1alpha1
kind: MeshNetwork
metadata: {name: many}
spec:
  meshID: many
  cluster: us
  workloadNamespaces: [apps]
  clusters:
  - {name: us, network: us-net, gateway: {address: 192.0.2.1}}
  - {name: eu, network: eu-net, gateway: {address: 192.0.2.2}}
"""


def write_many(kind, path):
    """MANY_DOCS tiny ConfigMaps or small Deployments (one in four in namespace apps)."""
    with open(path, "w") as f:
        for i in range(MANY_DOCS):
            if kind == "ConfigMap":
                f.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: default\n"
                        f"data:\n  key: value-{i}\n")
            else:
                ns = "apps" if i % 4 == 0 else "default"
                f.write(f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: {ns}\n"
                        f"  labels: {{app: app-{i}}}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: app-{i}}}\n"
                        f"  template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n"
                        f"      - name: app\n        image: nginx:1.25\n        ports:\n        - containerPort: 80\n")
    return os.path.getsize(path)


def write_many_list(wrapper, path):
    """The MANY_DOCS small Deployments as the items of one `kind: List`, or of a KRM
    ResourceList with MANY_CONFIG as its functionConfig after the items (as kpt writes it)."""
    stream = path + ".stream"
    write_many("Deployment", stream)
    with open(stream) as src, open(path, "w") as f:
        api = "config.kubernetes.io/v1" if wrapper == "ResourceList" else "v1"
        f.write(f"apiVersion: {api}\nkind: {wrapper}\nitems:\n")
        for line in src:
            if line == "---\n":
                continue
            f.write(("- " if line.startswith("apiVersion:") else "  ") + line)
        if wrapper == "ResourceList":
            f.write("functionConfig:\n" + "".join("  " + l for l in MANY_CONFIG.splitlines(True)))
    os.remove(stream)
    return os.path.getsize(path)


def write_many_json_list(path):
    """The MANY_DOCS small Deployments as one JSON List, as `kubectl get -o json` writes it."""
    items = []
    for i in range(MANY_DOCS):
        ns = "apps" if i % 4 == 0 else "default"
        labels = {"app": f"app-{i}"}
        items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": f"app-{i}", "namespace": ns, "labels": labels},
                      "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                               "template": {"metadata": {"labels": labels},
                                            "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
                                                                     "ports": [{"containerPort": 80}]}]}}}})
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f, indent=4)
    return os.path.getsize(path)


def edit_check_ms(stderr):
    m = re.search(r"edit check ([0-9.]+) ms for (\d+) of (\d+) documents", stderr)
    return (float(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def bench_many(args, tmp, summary):
    print(f"[many] memory on {MANY_DOCS} small documents (goal: peak RSS <= {GOAL_RSS_MULTIPLE:.0f}x the input)")
    cfg = os.path.join(tmp, "many.yaml")
    with open(cfg, "w") as f:
        f.write(MANY_CONFIG)
    for kind in ("ConfigMap", "Deployment"):
        path = os.path.join(tmp, f"many-{kind}.yaml")
        size = in_child(write_many, kind, path)
        runs = run_many([EASTWEST, "--config", cfg], path, 3, warmup=0)
        rss = peak_rss(runs)
        ok = rss / size <= GOAL_RSS_MULTIPLE
        print(f"  {MANY_DOCS} {kind}s, {size / 1e6:.1f} MB: median {ms(median_s(runs))}, peak RSS {mib(rss)} "
              f"= {rss / size:.1f}x input  goal <= {GOAL_RSS_MULTIPLE:.0f}x: {verdict(ok)}")
        summary.append(f"{MANY_DOCS} small {kind}s ({size / 1e6:.1f} MB): peak RSS {mib(rss)} = {rss / size:.1f}x input "
                       f"({verdict(ok)}, goal <= {GOAL_RSS_MULTIPLE:.0f}x)")
        if kind == "Deployment":
            os.environ["EASTWEST_TIMINGS"] = "1"
            try:
                timed = run_once([EASTWEST, "--config", cfg], path)
            finally:
                del os.environ["EASTWEST_TIMINGS"]
            check = edit_check_ms(timed.stderr)
            if check:
                print(f"  edit check: {check[0]:.1f} ms of {ms(timed.seconds)} for the {check[1]} edited of "
                      f"{check[2]} documents")
                summary.append(f"edit check on {check[1]} edited Deployments: {check[0]:.1f} ms of {ms(timed.seconds)}")
    # The same Deployments as the items of one document: read item by item, like a stream.
    for wrapper in ("ResourceList", "List", "JSON List"):
        path = os.path.join(tmp, f"many-{wrapper.replace(' ', '-')}.yaml")
        if wrapper == "JSON List":
            size = in_child(write_many_json_list, path)
        else:
            size = in_child(write_many_list, wrapper, path)
        argv = [EASTWEST] if wrapper == "ResourceList" else [EASTWEST, "--config", cfg]
        runs = run_many(argv, path, 3, warmup=0)
        rss = peak_rss(runs)
        ok = rss / size <= GOAL_RSS_MULTIPLE
        how = "config in functionConfig" if wrapper == "ResourceList" else "--config"
        print(f"  {MANY_DOCS} Deployments as the items of one {wrapper} ({how}), {size / 1e6:.1f} MB: median "
              f"{ms(median_s(runs))}, peak RSS {mib(rss)} = {rss / size:.1f}x input  "
              f"goal <= {GOAL_RSS_MULTIPLE:.0f}x: {verdict(ok)}")
        summary.append(f"{MANY_DOCS} small Deployments in one {wrapper} ({size / 1e6:.1f} MB): median "
                       f"{ms(median_s(runs))}, peak RSS {mib(rss)} = {rss / size:.1f}x input "
                       f"({verdict(ok)}, goal <= {GOAL_RSS_MULTIPLE:.0f}x)")


def bench_check(args, kdir, summary):
    big = os.path.join(kdir, "input.yaml")
    if not os.path.exists(big):
        in_child(build_big_input, big)
    os.environ["EASTWEST_TIMINGS"] = "1"
    try:
        runs = [run_once([EASTWEST, "--config", CONFIG], big) for _ in range(max(3, args.runs // 3))]
    finally:
        del os.environ["EASTWEST_TIMINGS"]
    checks = [edit_check_ms(r.stderr) for r in runs]
    if not all(checks):
        raise BenchError("eastwest printed no timings under EASTWEST_TIMINGS=1")
    check_ms = statistics.median(c[0] for c in checks)
    total = median_s(runs)
    print(f"[check] edit check on the big input: median {check_ms:.1f} ms of {ms(total)} "
          f"({100 * check_ms / (total * 1000):.0f}%), {checks[0][1]} edited of {checks[0][2]} documents read back")
    summary.append(f"edit check on the big input: {check_ms:.1f} ms of {ms(total)} "
                   f"({checks[0][1]} edited documents read back)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="eastwest runs on the big input (default 15)")
    ap.add_argument("--peer-runs", type=int, default=5, help="kubectl kustomize runs (default 5; 0 skips the peer)")
    ap.add_argument("--small-runs", type=int, default=41, help="eastwest runs on podinfo (default 41)")
    ap.add_argument("--scale-runs", type=int, default=7, help="eastwest runs per scale point (default 7)")
    args = ap.parse_args()
    if min(args.runs, args.small_runs, args.scale_runs) < 1:
        ap.error("--runs, --small-runs and --scale-runs must be at least 1")

    if not os.access(EASTWEST, os.X_OK):
        sys.exit(f"bench: {EASTWEST} not found; build it with `cargo build --release` (or `make bench`)")
    if not os.path.isdir(CORPUS):
        sys.exit(f"bench: corpus not found at {CORPUS} (set EASTWEST_CORPUS=DIR)")

    summary = []
    failed = False
    tmp = tempfile.mkdtemp(prefix="eastwest-bench-")
    try:
        load = os.getloadavg()
        print(f"eastwest bench  ({os.cpu_count()} CPUs, load {load[0]:.2f} at start, {EASTWEST})")
        if os.access("/bin/true", os.X_OK):
            floor = run_once(["/bin/true"], os.devnull).max_rss
            print(f"RSS floor {mib(floor)}: a child's ru_maxrss starts at the spawner's own peak "
                  "(Linux keeps it across fork and exec), so a figure at this level means 'at most this'")
        print()
        kdir = os.path.join(tmp, "kustomize")
        os.mkdir(kdir)
        cases = [
            ("big", lambda: bench_big(args, kdir, summary)),
            ("small", lambda: bench_small(args, summary)),
            ("scale", lambda: bench_scale(args, tmp, summary)),
            ("docs", lambda: bench_docs(args, tmp, summary)),
            ("check", lambda: bench_check(args, kdir, summary)),
            ("many", lambda: bench_many(args, tmp, summary)),
        ]
        for name, case in cases:
            try:
                case()
            except BenchError as e:
                failed = True
                print(f"  FAILED: {e}")
                summary.append(f"{name}: FAILED: {e}")
            print()

        load = os.getloadavg()
        print(f"Summary  (load {load[0]:.2f} at end; other work on the machine slows every figure)")
        for line in summary:
            print(f"  - {line}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
