#!/usr/bin/env python3
"""node.py killed with SIGKILL: nothing of the node keeps running, and what only a later start can
clean is left in a state that start finds.

    node_sigkill.py --bin BIN --tree TREE --kubelet-files KDIR --work WORK [--images DIR] [--timeout 120]

Starts node.py (with --hold, in a session of its own) for TREE, waits until the kubelet runs pods
(processes in kubepods cgroups that were not there before: the static pods' sandboxes and
containers), notes every process of the run by PID (node.py's descendants and the processes in those
cgroups), then SIGKILLs node.py, the outer process, which gets no chance to clean. Checks:
  * every noted process is gone within 10 s (the kernel's doing: PR_SET_PDEATHSIG takes unshare,
    unshare --kill-child the namespace's init, and with it the whole PID namespace);
  * no mount under WORK is left on the host (they lived in the node's private mount namespace);
  * what is left is exactly what a later start must clean, and it is there to be found: the
    kubepods cgroups the run made, WORK/scratch, and node.py's host lock holding this run's state.
The later start is the next node.py run (run.sh: the same tree's node, with the same WORK's parent);
it must print `PASS earlier run ... leftovers cleaned at start: ...` and leave no kubepods behind.

Prints PASS/FAIL lines; exit 0 when all pass. Python 3.11 + PyYAML (node.py's imports).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import node  # noqa: E402

ok = True


def report(name: str, passed: bool, detail: str) -> None:
    global ok
    ok &= passed
    print(f"{'PASS' if passed else 'FAIL'} {name}: {detail}", flush=True)


def descendants(root: int) -> set[int]:
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                st = (d / "stat").read_text()
                parent[int(d.name)] = int(st[st.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.update(kids)
        todo += kids
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path)
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--kubelet-files", required=True, type=Path)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--images", type=Path, help="node.py --images")
    a = ap.parse_args()
    work = a.work.resolve()
    before = {str(c) for c in node.cgroup_roots() if c.exists()}
    if before:
        print(f"FAIL kubepods cgroups exist before the run ({sorted(before)}): a node runs, or an earlier one "
              "was not cleaned; this test needs a host without", flush=True)
        return 1
    t0 = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    out = (work.parent / f"{work.name}.out").open("wb")
    p = subprocess.Popen([sys.executable, str(Path(node.__file__).resolve()), "--bin", str(a.bin), "--tree", str(a.tree),
                          "--kubelet-files", str(a.kubelet_files), "--work", str(work), "--hold", "600",
                          *(["--images", str(a.images)] if a.images else [])],
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pods: set[int] = set()
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and p.poll() is None:
        pods = set().union(*(node.cgroup_pids(c) for c in node.cgroup_roots() if c.exists())) if node.cgroup_roots() else set()
        if len(pods) >= 4:  # a few sandboxes and containers: the kubelet runs pods
            break
        time.sleep(0.5)
    if p.poll() is not None or len(pods) < 4:
        p.kill()
        report("the node ran pods before the SIGKILL", False,
               f"node.py {'exited ' + str(p.returncode) if p.poll() is not None else 'runs'}, "
               f"{len(pods)} process(es) in kubepods after {time.monotonic() - t0:.0f}s (output: {out.name})")
        return 1
    time.sleep(1)  # let the kubelet get a little further (more cgroups, more mounts in the namespace)
    noted = descendants(p.pid) | set().union(*(node.cgroup_pids(c) for c in node.cgroup_roots() if c.exists()))
    names = sorted({node.comm(x) for x in noted})
    t_kill = time.monotonic()
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + node.CLEAN_WAIT_S
    alive = noted
    while time.monotonic() < deadline:
        alive = {x for x in noted if Path(f"/proc/{x}").exists() and node.comm(x) != "?"}
        if not alive:
            break
        time.sleep(0.1)
    report("SIGKILL of node.py: every process of the node is gone (by PID)", not alive,
           f"{len(noted)} processes ({', '.join(names)}) noted {t_kill - t0:.0f}s after start; "
           + (f"still running: {sorted((x, node.comm(x)) for x in alive)}" if alive
              else f"all gone {time.monotonic() - t_kill:.1f}s after the SIGKILL"))
    mounts = node.host_mounts_under(work)
    report("SIGKILL of node.py: no mount of the node left on the host", not mounts,
           f"{len(mounts)} under {work}: {mounts[:5]}" if mounts else f"none under {work}")
    cg = [str(c) for c in node.cgroup_roots() if c.exists()]
    try:
        state = json.loads(node.LOCK.read_text() or "{}")
    except (OSError, ValueError) as e:
        state = {"error": str(e)}
    left = bool(cg) and (work / "scratch").exists() and state.get("work") == str(work) and state.get("pid")
    report("SIGKILL of node.py: what only a later start can clean is left for it to find", bool(left),
           f"{len(cg)} kubepods cgroup root(s), {work / 'scratch'} {'present' if (work / 'scratch').exists() else 'absent'}, "
           f"lock state {state}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
