#!/usr/bin/env python3
"""Container images for the harness's node, made from the built binaries: nothing is pulled.

    images.py --bin BIN_DIR --out DIR [--kubernetes-version v1.34.10] [--etcd-version 3.6.5-0]

Writes one docker-archive tarball per image into DIR (the layout of `docker save`: manifest.json,
the config JSON and one uncompressed layer tar), tagged as kubeadm 1.34's manifests and
kubeadm-flags.env name them:

    registry.k8s.io/kube-apiserver:<k8s>           /usr/local/bin/kube-apiserver
    registry.k8s.io/kube-controller-manager:<k8s>  /usr/local/bin/kube-controller-manager
    registry.k8s.io/kube-scheduler:<k8s>           /usr/local/bin/kube-scheduler
    registry.k8s.io/etcd:<etcd>                    /usr/local/bin/etcd (also the node's test pod: it serves HTTP)
    registry.k8s.io/pause:3.10.1                   /pause, the entrypoint (kubeadm 1.34's PauseVersion)

Every binary is static (CGO_ENABLED=0), so a layer is the binary, its folders and /tmp. The
tarballs are reproducible (fixed mtimes, owners and order). Prints one `<file> <tag>` line per
image; `ctr -n k8s.io images import <file>` loads it. Python standard library only.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path

PAUSE_VERSION = "3.10.1"  # kubeadm v1.34 constants.PauseVersion
EPOCH = 0
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "pause")


def default_tags(k8s: str, etcd: str) -> list[str]:
    return [f"registry.k8s.io/{n}:{k8s}" for n in BINARIES[:3]] + [
        f"registry.k8s.io/etcd:{etcd}", f"registry.k8s.io/pause:{PAUSE_VERSION}"]


def image_for(tag: str) -> tuple[str, str, list[str] | None]:
    """(binary name, path in the image, entrypoint) for an image reference, by its last path element:
    any repository (imageRepository) and tag; the binary decides what the image holds."""
    name = tag.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    if name not in BINARIES:
        raise SystemExit(f"no local image for {tag}: only {', '.join(BINARIES)}")
    if name == "pause":
        return name, "/pause", ["/pause"]
    return name, f"/usr/local/bin/{name}", None


def _info(name: str, mode: int, kind: bytes = tarfile.REGTYPE, size: int = 0) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.size, ti.mtime = kind, mode, size, EPOCH
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def layer(binary: Path, dest: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        parts = Path(dest).parent.parts[1:]
        for i in range(len(parts)):
            t.addfile(_info("/".join(parts[:i + 1]) + "/", 0o755, tarfile.DIRTYPE))
        t.addfile(_info("tmp/", 0o1777, tarfile.DIRTYPE))
        data = binary.read_bytes()
        t.addfile(_info(dest.lstrip("/"), 0o755, size=len(data)), io.BytesIO(data))
    return buf.getvalue()


def archive(tag: str, binary: Path, dest: str, entrypoint: list[str] | None, out: Path, reuse: bool = False) -> Path:
    """reuse: keep a tarball of the same name that is newer than the binary (the tarballs are
    reproducible: it is what this would write again)."""
    path = out / (tag.rsplit("/", 1)[-1].replace(":", "_").replace("@", "_") + ".tar")
    if reuse and path.exists() and path.stat().st_mtime >= binary.stat().st_mtime:
        return path
    layer_tar = layer(binary, dest)
    diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    config = {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Env": [PATH_ENV], **({"Entrypoint": entrypoint} if entrypoint else {})},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": f"conformance/images.py: {binary.name} -> {dest}"}],
    }
    config_json = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config_json).hexdigest() + ".json"
    layer_name = diff_id.split(":")[1] + "/layer.tar"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": [layer_name]}]).encode()
    tmp = path.with_suffix(".tar.tmp")
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(_info(layer_name.split("/")[0] + "/", 0o755, tarfile.DIRTYPE))
        for name, data in ((layer_name, layer_tar), (config_name, config_json), ("manifest.json", manifest)):
            t.addfile(_info(name, 0o644, size=len(data)), io.BytesIO(data))
    os.replace(tmp, path)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--kubernetes-version", default="v1.34.10")
    ap.add_argument("--etcd-version", default="3.6.5-0")
    ap.add_argument("--tag", action="append", help="an image reference to make (repeatable; default: the five above)")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for tag in a.tag or default_tags(a.kubernetes_version, a.etcd_version):
        name, dest, entrypoint = image_for(tag)
        binary = a.bin / name
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"no executable {binary} (conformance/build.sh builds it)")
        print(f"{archive(tag, binary, dest, entrypoint, a.out)} {tag}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
