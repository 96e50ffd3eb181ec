#!/usr/bin/env python3
"""Compare two /etc/kubernetes-shaped trees semantically: kubeadm's reference against a candidate.

    kubeadm_diff.py REFERENCE_TREE CANDIDATE_TREE [--ignore GLOB ...]

Everything that must be equal for two trees written for the same config is compared; what is
random or time-bound by nature (key material, serial numbers, absolute dates) is not:

  pki/*.crt   subject, issuer, which CA of the tree verifies it (ca / front-proxy-ca / etcd/ca / self),
              SANs (DNS and IP, as sets), key usage, extended key usage, basic constraints, public key
              type and size, signature algorithm, validity duration (notAfter - notBefore, minutes),
              whether the key file next to it holds the matching key
  pki/*.key, sa.key, sa.pub
              key type and size; sa.pub matches sa.key
  *.conf      cluster/context/user names, current-context, server URL, the CA data is the tree's
              pki/ca.crt, the client certificate as above, client key matches it
  manifests/*.yaml, external-etcd/*.yaml
              the whole Pod, field by field; command/args one entry per flag, plus their order
  every file  present on both sides, permission bits
  every folder below the root: present on both sides, permission bits

Prints one line per difference (MISSING / EXTRA / DIFF) and "N differences". Exit 0 when none.
With --allow FILE --config NAME (allowed-differences.yaml): each line is EXPLAINED (with its reason)
or UNEXPLAINED, an entry of FILE for NAME that matched nothing is STALE; exit 0 when no line is
unexplained and no entry is stale.
Needs openssl and PyYAML (conformance/requirements.txt).
"""
from __future__ import annotations

import argparse
import base64
import fnmatch
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml

SKIP = {".kubeadm", "kubeadm.log", "kubeadm-config.yaml", ".kubeforge"}  # the generators' own logs
CAS = {"ca": "pki/ca.crt", "front-proxy-ca": "pki/front-proxy-ca.crt", "etcd-ca": "pki/etcd/ca.crt"}


def openssl(*args: str, stdin: bytes | None = None) -> str:
    p = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {p.stderr.decode(errors='replace').strip()}")
    return p.stdout.decode()


def pubkey_of_cert(pem: bytes) -> str:
    return openssl("x509", "-noout", "-pubkey", stdin=pem)


def pubkey_of_key(pem: bytes) -> str:
    return openssl("pkey", "-pubout", stdin=pem)


def key_desc(pem: bytes) -> str:
    """'RSA 2048 bit', 'EC P-256 256 bit', ... from `openssl pkey -text`."""
    private = b"PRIVATE" in pem
    text = openssl("pkey", "-noout", "-text", stdin=pem) if private else \
        openssl("pkey", "-pubin", "-noout", "-text", stdin=pem)
    bits = re.search(r"\((\d+) bit", text.splitlines()[0])
    if "modulus" in text.lower():
        kind = "RSA"
    elif (curve := re.search(r"NIST CURVE: (\S+)", text) or re.search(r"ASN1 OID: (\S+)", text)):
        kind = f"EC {curve.group(1)}"
    else:
        kind = text.splitlines()[0].split()[0]  # e.g. ED25519
    return f"{kind} {bits.group(1) if bits else '?'} bit"


class Tree:
    def __init__(self, root: Path):
        self.root = root
        self.ca_pems = {n: (root / p).read_bytes() for n, p in CAS.items() if (root / p).exists()}

    def files(self, ignore: list[str]) -> set[str]:
        out = set()
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d not in SKIP]
            for f in filenames:
                rel = str(Path(dirpath, f).relative_to(self.root))
                if f in SKIP or any(fnmatch.fnmatch(rel, g) for g in ignore):
                    continue
                out.add(rel)
        return out

    def dir_modes(self, ignore: list[str]) -> dict[str, str]:
        """Mode of every folder below the root (the root is the caller's, on a node /etc/kubernetes)."""
        out = {}
        for dirpath, dirnames, _ in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d not in SKIP]
            for d in dirnames:
                p = Path(dirpath, d)
                rel = str(p.relative_to(self.root))
                if not any(fnmatch.fnmatch(rel, g) for g in ignore):
                    out[rel] = oct(p.stat().st_mode & 0o777)
        return out

    def verified_by(self, pem: bytes) -> str:
        with tempfile.TemporaryDirectory() as d:
            leaf = Path(d, "leaf.crt")
            leaf.write_bytes(pem)
            found = []
            for name, ca in self.ca_pems.items():
                caf = Path(d, f"{name}.crt")
                caf.write_bytes(ca)
                p = subprocess.run(["openssl", "verify", "-CAfile", str(caf), str(leaf)], capture_output=True)
                if p.returncode == 0:
                    found.append("self" if ca.strip() == pem.strip() else name)
            return ",".join(found) or "none of ca/front-proxy-ca/etcd-ca"

    def ca_not_before(self, verified_by: str):
        pem = self.ca_pems.get(verified_by)
        if pem is None:
            return None
        v = openssl("x509", "-noout", "-startdate", stdin=pem).strip().split("=", 1)[1]
        return datetime.strptime(v.replace("  ", " "), "%b %d %H:%M:%S %Y GMT")

    def cert(self, pem: bytes, written: datetime | None = None, from_ca: bool = False) -> dict:
        t = openssl("x509", "-noout", "-subject", "-issuer", "-startdate", "-enddate", "-nameopt", "RFC2253",
                    "-ext", "subjectAltName,keyUsage,extendedKeyUsage,basicConstraints", stdin=pem)
        full = openssl("x509", "-noout", "-text", stdin=pem)
        lines = t.splitlines()
        d: dict = {}
        ext = None
        for line in lines:
            if line.startswith(("subject=", "issuer=")):
                k, v = line.split("=", 1)
                d[k] = v
            elif line.startswith(("notBefore=", "notAfter=")):
                k, v = line.split("=", 1)
                d[k] = datetime.strptime(v.replace("  ", " "), "%b %d %H:%M:%S %Y GMT")
            elif line.startswith("X509v3 "):
                ext = line.split(":")[0].replace("X509v3 ", "")
                d[ext + " critical"] = "critical" in line
            elif ext and line.startswith("    "):
                d[ext] = line.strip()
        sans = [s.strip() for s in d.pop("Subject Alternative Name", "").split(",") if s.strip()]
        d["SAN DNS"] = sorted(s[4:] for s in sans if s.startswith("DNS:"))
        d["SAN IP"] = sorted(s.split(":", 1)[1] for s in sans if s.startswith("IP Address:"))
        d.pop("Subject Alternative Name critical", None)
        for k in ("Key Usage", "Extended Key Usage"):
            if k in d:
                d[k] = sorted(x.strip() for x in d[k].split(","))
        d["validity minutes"] = int((d["notAfter"] - d["notBefore"]).total_seconds() // 60)
        d["public key"] = key_desc(pubkey_of_cert(pem).encode())
        d["signature"] = sorted(set(re.findall(r"Signature Algorithm: (\S+)", full)))
        d["verified by"] = self.verified_by(pem)
        nb = d.pop("notBefore")
        d.pop("notAfter")
        # which X.509v3 extensions are present (SKI/AKI included), and which are critical
        d["extensions"] = sorted(m.group(1) + (" (critical)" if m.group(2) else "") for m in
                                 re.finditer(r"^ +X509v3 ([^:]+): ?(critical)? *$", full, re.M)
                                 if m.group(1) != "extensions")
        # kubeadm backdates the certificates of `certs` by 5 minutes from their creation
        # (CertificateBackdate); kubeconfig client certificates take the CA's NotBefore
        # (pkiutil.NewSignedCert). Compared: for `certs`, backdating against the file's mtime in whole
        # minutes; for kubeconfig certificates, whether NotBefore is the issuing CA's (their distance
        # to the file's mtime is the time since the CA was made, which only measures the machine's load).
        if written is not None and not from_ca:
            d["notBefore backdated (minutes before the file was written)"] = round((written - nb).total_seconds() / 60)
        if from_ca:
            issuer_nb = self.ca_not_before(d["verified by"])
            d["notBefore = issuing CA's notBefore"] = None if issuer_nb is None else nb == issuer_nb
        return d


def flatten(prefix: str, obj, out: dict) -> dict:
    if prefix.endswith((".command", ".args")) and isinstance(obj, list) and all(isinstance(x, str) for x in obj):
        # one entry per flag, so a difference names the flag; order compared separately
        for i, x in enumerate(obj):
            if x.startswith("--"):
                k, _, v = x.partition("=")
                out[f"{prefix}[{k}]"] = v
            else:
                out[f"{prefix}[{i}]"] = x
        out[f"{prefix} (order)"] = [x.partition("=")[0] for x in obj]
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) and "name" in x for x in obj):
        for x in obj:
            flatten(f"{prefix}[{x['name']}]", x, out)
    elif isinstance(obj, list) and obj and any(isinstance(x, (dict, list)) for x in obj):
        for i, x in enumerate(obj):
            flatten(f"{prefix}[{i}]", x, out)
    else:
        out[prefix] = obj
    return out


def describe(tree: Tree, rel: str) -> dict:
    path = tree.root / rel
    st = path.stat()
    d: dict = {"mode": oct(st.st_mode & 0o777)}
    written = datetime.fromtimestamp(st.st_mtime, timezone.utc).replace(tzinfo=None)
    data = path.read_bytes()
    if rel.endswith(".crt"):
        d.update(tree.cert(data, written))
        key = path.with_suffix(".key")
        if key.exists():
            d["key matches"] = pubkey_of_key(key.read_bytes()) == pubkey_of_cert(data)
    elif rel.endswith(".key") or rel.endswith(".pub"):
        d["key"] = key_desc(data)
        if rel.endswith("sa.pub") and (path.parent / "sa.key").exists():
            d["matches sa.key"] = pubkey_of_key((path.parent / "sa.key").read_bytes()).strip() == data.decode().strip()
    elif rel.endswith(".conf"):
        kc = yaml.safe_load(data)
        d["current-context"] = kc.get("current-context")
        for c in kc.get("clusters", []):
            cl = c["cluster"]
            d[f"cluster[{c['name']}].server"] = cl.get("server")
            ca = base64.b64decode(cl.get("certificate-authority-data", ""))
            d[f"cluster[{c['name']}].ca"] = next((n for n, p in tree.ca_pems.items() if p.strip() == ca.strip()), "not a CA of this tree")
            d.update({f"cluster[{c['name']}].{k}": v for k, v in cl.items()
                      if k not in ("server", "certificate-authority-data")})
        for c in kc.get("contexts", []):
            d[f"context[{c['name']}]"] = c["context"]
        for u in kc.get("users", []):
            usr = u["user"]
            pem = base64.b64decode(usr.get("client-certificate-data", ""))
            if pem:
                d.update({f"user[{u['name']}].cert.{k}": v for k, v in tree.cert(pem, written, from_ca=True).items()})
                keyp = base64.b64decode(usr.get("client-key-data", ""))
                d[f"user[{u['name']}].key matches"] = bool(keyp) and pubkey_of_key(keyp) == pubkey_of_cert(pem)
                d[f"user[{u['name']}].key"] = key_desc(keyp) if keyp else None
            d.update({f"user[{u['name']}].{k}": v for k, v in usr.items()
                      if k not in ("client-certificate-data", "client-key-data")})
        d.update({k: v for k, v in kc.items() if k not in ("clusters", "contexts", "users", "current-context")})
    elif rel.endswith(".yaml"):
        flatten("", yaml.safe_load(data), d)
    else:
        d["sha256"] = subprocess.run(["sha256sum"], input=data, capture_output=True).stdout.split()[0].decode()
    return d


def diff_trees(ref: Path, cand: Path, ignore: list[str]) -> list[str]:
    a, b = Tree(ref), Tree(cand)
    fa, fb = a.files(ignore), b.files(ignore)
    out = [f"MISSING {f}" for f in sorted(fa - fb)] + [f"EXTRA {f}" for f in sorted(fb - fa)]
    ma, mb = a.dir_modes(ignore), b.dir_modes(ignore)
    for d in sorted(set(ma) | set(mb)):
        if ma.get(d) != mb.get(d):
            out.append(f"DIFF {d}/: folder mode: reference={ma.get(d, '<absent>')!r} candidate={mb.get(d, '<absent>')!r}")
    for rel in sorted(fa & fb):
        da, db = describe(a, rel), describe(b, rel)
        for k in sorted(set(da) | set(db), key=str):
            va, vb = da.get(k, "<absent>"), db.get(k, "<absent>")
            if str(k).endswith(" (order)") and isinstance(va, list) and isinstance(vb, list):
                # the order of the flags both sides have; a flag only one side has is its own line
                va, vb = [x for x in va if x in vb], [x for x in vb if x in va]
            if va != vb:
                out.append(f"DIFF {rel}: {k}: reference={va!r} candidate={vb!r}")
    return out


def load_allowed(path: Path, config: str) -> list[dict]:
    """Allow-list entries that apply to `config`: {configs: [names] | "*", line: pattern, reason}.
    `line` is one whole output line; `*` is the only wildcard (matches anything)."""
    entries = yaml.safe_load(path.read_text()) or []
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not {"configs", "line", "reason"} <= set(e) or not str(e["reason"]).strip():
            raise SystemExit(f"{path}: entry {i}: needs configs, line and a non-empty reason")
        cfgs = e["configs"]
        if cfgs == "*" or config in cfgs:
            rx = re.compile(".*".join(re.escape(part) for part in str(e["line"]).split("*")), re.S)
            out.append({**e, "index": i, "rx": rx, "used": 0})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reference", type=Path)
    ap.add_argument("candidate", type=Path)
    ap.add_argument("--ignore", action="append", default=[], help="glob of tree-relative paths to skip")
    ap.add_argument("--allow", type=Path, help="allow-list (YAML) of explained differences")
    ap.add_argument("--config", help="config name the allow-list entries are selected by")
    a = ap.parse_args()
    lines = diff_trees(a.reference.resolve(), a.candidate.resolve(), a.ignore)
    if not a.allow:
        for line in lines:
            print(line)
        print(f"{len(lines)} differences")
        return 0 if not lines else 1
    if not a.config:
        ap.error("--allow needs --config")
    allowed = load_allowed(a.allow, a.config)
    unexplained = []
    for line in lines:
        hit = next((e for e in allowed if e["rx"].fullmatch(line)), None)
        if hit:
            hit["used"] += 1
            print(f"EXPLAINED {line}\n    reason: {' '.join(str(hit['reason']).split())}")
        else:
            unexplained.append(line)
            print(f"UNEXPLAINED {line}")
    stale = [e for e in allowed if not e["used"]]
    for e in stale:  # a difference that went away must leave the list (and the README) too
        print(f"STALE allow-list entry {e['index']} ({a.allow.name}) matched nothing for {a.config}: {e['line']}")
    print(f"{len(lines)} differences: {len(lines) - len(unexplained)} explained, {len(unexplained)} unexplained, "
          f"{len(stale)} stale allow-list entries")
    return 0 if not unexplained and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
