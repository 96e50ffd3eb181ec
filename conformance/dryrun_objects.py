#!/usr/bin/env python3
"""Extract the objects `kubeadm init phase ... --dry-run` would create, as one YAML stream.

    dryrun_objects.py OUT.yaml PHASE_OUTPUT...

kubeadm's dry-run client prints `[dryrun] Would perform action CREATE on resource ...` followed
by `[dryrun] Attached object:` and the object's YAML. Only CREATE actions are kept, in order; the
bootstrap token Secret is left out (its values are random and `bootstrap_token` owns it) and so
is the Node that mark-control-plane would patch (dry-run shows a fake Node). The golden files of
`ClusterObjectsTest` come from this script (see conformance/cluster_golden.sh).
"""
from __future__ import annotations

import sys

import yaml


def objects(text: str) -> list[dict]:
    out: list[dict] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("[dryrun] Would perform action CREATE") and i + 1 < len(lines) \
                and lines[i + 1] == "[dryrun] Attached object:":
            j = i + 2
            block = []
            while j < len(lines) and lines[j] != "" and not lines[j].startswith("["):
                block.append(lines[j])
                j += 1
            obj = yaml.safe_load("\n".join(block) + "\n")
            if not (obj.get("kind") == "Secret" and obj.get("type") == "bootstrap.kubernetes.io/token"):
                out.append(obj)
            i = j
        else:
            i += 1
    return out


def main() -> int:
    dest, *inputs = sys.argv[1:]
    objs: list[dict] = []
    for path in inputs:
        with open(path, encoding="utf-8") as f:
            objs.extend(objects(f.read()))
    with open(dest, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(objs, f, sort_keys=True, default_flow_style=False, width=1 << 20)
    print(f"{dest}: {len(objs)} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
