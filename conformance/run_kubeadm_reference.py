#!/usr/bin/env python3
"""Generate kubeadm's own reference tree for one kubeadm config, without touching /etc/kubernetes.

    run_kubeadm_reference.py --kubeadm BIN --config configs/single-stack.yaml --out DIR [--kubelet-out KDIR]

DIR ends up shaped like /etc/kubernetes:

    DIR/pki/...                  `kubeadm init phase certs all`   (certificatesDir redirected to DIR/pki)
    DIR/{admin,super-admin,kubelet,controller-manager,scheduler}.conf
                                 `kubeadm init phase kubeconfig all --kubeconfig-dir DIR`
    DIR/manifests/*.yaml         `kubeadm init phase control-plane all` + `etcd local`, run with
                                 --dry-run and KUBEADM_INIT_DRYRUN_DIR=DIR/manifests: kubeadm then
                                 writes the manifests there instead of /etc/kubernetes/manifests,
                                 with the paths a real node gets (/etc/kubernetes/pki/..., /var/lib/etcd)
    DIR/external-etcd/etcd.yaml  only for configs with etcd.external: the stand-in etcd, made by
                                 kubeadm from <config>.fixture.yaml (see configs/external-etcd.yaml)
    KDIR/{config.yaml,kubeadm-flags.env,instance-config.yaml}
                                 only with --kubelet-out: `kubeadm init phase kubelet-start --dry-run`
                                 with KUBEADM_INIT_DRYRUN_DIR=KDIR (kubeadm's KubeletDir() in dry-run),
                                 the files it writes to /var/lib/kubelet (no kubelet is stopped or
                                 started in dry-run); outside DIR, which stays /etc/kubernetes-shaped
    DIR/kubeadm-config.yaml      the config as given
    DIR/kubeadm.log              every kubeadm command line and its output

Needs no root: kubeadm's `init phase` sub-commands run no preflight checks, and every write goes
under DIR. Python 3.11 standard library only. Exit status 0 on success.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

CERT_DIR_LINE = "certificatesDir: /etc/kubernetes/pki"


def redirected_config(text: str, pki: Path) -> str:
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip("\n") == CERT_DIR_LINE]
    if len(hits) != 1:
        raise SystemExit(f"config must contain the line {CERT_DIR_LINE!r} exactly once (found {len(hits)})")
    lines[hits[0]] = f"certificatesDir: {pki}\n"
    return "".join(lines)


def is_external_etcd(text: str) -> bool:
    # good enough for our own configs; no YAML parser in the standard library
    return any(line.strip() == "external:" for line in text.splitlines())


class Kubeadm:
    def __init__(self, binary: Path, log: Path):
        self.binary = binary
        self.log = log.open("a", encoding="utf-8")

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> None:
        cmd = [str(self.binary), *args]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log.write(f"\n$ {' '.join((f'{k}={v}' for k, v in (env or {}).items()))} {' '.join(cmd)}\n")
        self.log.flush()
        p = subprocess.run(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        self.log.write(p.stdout)
        self.log.flush()
        if p.returncode != 0:
            sys.stderr.write(p.stdout)
            raise SystemExit(f"kubeadm failed ({p.returncode}): {' '.join(cmd)}")


def generate(kubeadm_bin: Path, config: Path, out: Path, kubelet_out: Path | None = None) -> None:
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    pki, manifests = out / "pki", out / "manifests"
    # manifests/ and external-etcd/ are not made here: kubeadm makes them (staticpod.WriteStaticPodToDisk,
    # MkdirAll 0700), so their modes are kubeadm's
    text = config.read_text(encoding="utf-8")
    shutil.copyfile(config, out / "kubeadm-config.yaml")
    work = out / ".kubeadm"
    work.mkdir()
    cfg_real = work / "config.yaml"  # paths as on a node: used for the manifests
    cfg_real.write_text(text, encoding="utf-8")
    cfg_tmp = work / "config.tmp-pki.yaml"  # certificatesDir -> out/pki: certs and kubeconfigs
    cfg_tmp.write_text(redirected_config(text, pki), encoding="utf-8")

    kubeadm = Kubeadm(kubeadm_bin, out / "kubeadm.log")
    kubeadm("version", "-o", "short")
    kubeadm("init", "phase", "certs", "all", "--config", str(cfg_tmp))
    if is_external_etcd(text):
        fixture = config.with_name(config.stem + ".fixture.yaml")
        ftext = fixture.read_text(encoding="utf-8")
        cfg_fix_tmp = work / "fixture.tmp-pki.yaml"
        cfg_fix_tmp.write_text(redirected_config(ftext, pki), encoding="utf-8")
        cfg_fix_real = work / "fixture.yaml"
        cfg_fix_real.write_text(ftext, encoding="utf-8")
        for phase in ("etcd-ca", "etcd-server", "etcd-peer", "etcd-healthcheck-client", "apiserver-etcd-client"):
            kubeadm("init", "phase", "certs", phase, "--config", str(cfg_fix_tmp))
        kubeadm("init", "phase", "etcd", "local", "--config", str(cfg_fix_real), "--dry-run",
                env={"KUBEADM_INIT_DRYRUN_DIR": str(out / "external-etcd")})
    kubeadm("init", "phase", "kubeconfig", "all", "--config", str(cfg_tmp), "--kubeconfig-dir", str(out))
    dry = {"KUBEADM_INIT_DRYRUN_DIR": str(manifests)}
    kubeadm("init", "phase", "control-plane", "all", "--config", str(cfg_real), "--dry-run", env=dry)
    if not is_external_etcd(text):
        kubeadm("init", "phase", "etcd", "local", "--config", str(cfg_real), "--dry-run", env=dry)

    expected = ["pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/sa.key", "pki/sa.pub",
                "pki/front-proxy-ca.crt", "pki/front-proxy-client.crt", "pki/apiserver-etcd-client.crt",
                "pki/etcd/ca.crt", "admin.conf", "super-admin.conf", "kubelet.conf",
                "controller-manager.conf", "scheduler.conf", "manifests/kube-apiserver.yaml",
                "manifests/kube-controller-manager.yaml", "manifests/kube-scheduler.yaml"]
    expected.append("external-etcd/etcd.yaml" if is_external_etcd(text) else "manifests/etcd.yaml")
    if kubelet_out is not None:
        kubelet_out.mkdir(parents=True, exist_ok=True)
        kubeadm("init", "phase", "kubelet-start", "--config", str(cfg_real), "--dry-run",
                env={"KUBEADM_INIT_DRYRUN_DIR": str(kubelet_out)})
        expected += [str(kubelet_out / "config.yaml"), str(kubelet_out / "kubeadm-flags.env")]
    missing = [e for e in expected if not (out / e).is_file()]
    if missing:
        raise SystemExit(f"kubeadm did not produce: {', '.join(missing)} (see {out / 'kubeadm.log'})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kubeadm", required=True, type=Path)
    ap.add_argument("--config", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--kubelet-out", type=Path, help="also kubeadm's kubelet files (kubelet-start, dry-run) here")
    a = ap.parse_args()
    generate(a.kubeadm.resolve(), a.config.resolve(), a.out.resolve(),
             a.kubelet_out.resolve() if a.kubelet_out else None)
    print(a.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
