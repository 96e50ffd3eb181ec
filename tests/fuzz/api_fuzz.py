"""API fuzzing against the real worker jar on loopback: raw HTTP abuse, then schemathesis from the
worker's own OpenAPI document. Prints its figures; exits non-zero on any 5xx, hang, write by a
rejected request, or RSS over the bound.

    .venv/bin/python tests/fuzz/api_fuzz.py [--jar JAR] [--examples N] [--abuse N]

The worker runs as `nobody` in a private mount namespace whose /tmp, /var/tmp, /dev/shm and the
folders of the default targets (/etc/kubernetes, /var/lib) are folders of one scratch directory: whatever
path a fuzzed request names, the worker can only write inside the scratch directory (everything
else is root's). Started with the worker's own JVM options
(worker_client.JVM_OPTIONS) and, when `make jar` made one, the jar's class-data archive.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "worker"))
from class_archive import worker_client  # noqa: E402  (the one loader of worker_client.py)
FUZZ_VENV = REPO / ".cache" / "fuzz-venv"
RSS_BOUND_MB = 160
TIMEOUT = 10  # seconds one request may take before it counts as a hang


class Worker:
    def __init__(self, jar, scratch):
        client = worker_client()
        self.home = scratch / "home"
        for d in ("home", "tmp", "var-tmp", "shm", "etc-kubernetes", "var-lib"):
            (scratch / d).mkdir(mode=0o700)
        jar_copy = scratch / "worker.jar"  # readable by nobody; the archive belongs to the original path
        shutil.copyfile(jar, jar_copy)
        os.chmod(scratch, 0o755)
        subprocess.run(["chown", "-R", "nobody:nogroup", str(scratch)], check=True)
        cmd = client.java_command("java", str(jar_copy), str(self.home))
        mounts = " && ".join("mount --bind %s %s" % (scratch / src, dst)
                             for src, dst in (("var-tmp", "/var/tmp"), ("shm", "/dev/shm"),
                                              ("etc-kubernetes", "/etc/kubernetes"), ("var-lib", "/var/lib"),
                                              ("tmp", "/tmp")))
        # a bind needs its mount point: a machine that never held Kubernetes has no /etc/kubernetes (made
        # here, removed again by stop())
        self.made = [dst for dst in ("/etc/kubernetes",) if not os.path.isdir(dst)]
        for dst in self.made:
            os.mkdir(dst, 0o755)
        script = '%s && exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"' % mounts
        self.log = open(scratch / "worker.log", "wb")
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + cmd,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=str(scratch))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                endpoint = json.loads((self.home / "endpoint").read_text())
                self.url = endpoint["url"]
                self.pid = endpoint["pid"]
                self.token = (self.home / "token").read_text().strip()
                urllib.request.urlopen(self.url + "/healthz", timeout=TIMEOUT).read()
                break
            except (OSError, ValueError, KeyError):
                if self.proc.poll() is not None:
                    self.stop()
                    sys.exit("the worker exited:\n" + (scratch / "worker.log").read_text(errors="replace"))
                time.sleep(0.1)
        else:
            self.stop()
            sys.exit("the worker did not come up")
        self.port = int(self.url.rsplit(":", 1)[1])
        self.max_rss = 0

    def rss_mb(self):
        for line in Path("/proc/%d/status" % self.pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
                self.max_rss = max(self.max_rss, rss)
                return rss
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        for dst in self.made:
            os.rmdir(dst)


def raw(worker, data, read=True):
    """Sends raw bytes; returns the status code (0: closed without an answer, -1: no answer in time)."""
    with socket.create_connection(("127.0.0.1", worker.port), timeout=TIMEOUT) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close on an oversized request before reading it all
        if not read:
            return 0
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            return -1
        except OSError:
            return 0
    try:
        return int(answer.split(b" ", 2)[1]) if answer else 0
    except (IndexError, ValueError):
        return 0


def request(method, path, headers=(), body=b"", host=True, version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version)]
    if host:
        lines.append("Host: 127.0.0.1")
    lines += list(headers)
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def abuse_cases(worker, scratch):
    """Requests that must all be refused with a 4xx: (description, bytes)."""
    auth = "Authorization: Bearer " + worker.token
    target = "/tmp/abuse"  # the scratch directory's tmp/, as the worker sees it
    good = json.dumps({"cert_dir": target, "advertise_address": "192.0.2.1"}).encode()
    cases = []
    for call in ("pki", "cert-info", "kubeconfigs", "static-pods", "encryption-config", "kubelet-config"):
        path = "/v1/" + call
        for ctype in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain",
                      "application/xml", "application/json-patch+json", "*/*", "", "application/json\x00"):
            cases.append(("content type %r" % ctype, request("POST", path, [auth, "Content-Type: " + ctype], good)))
        json_type = "Content-Type: application/json"
        cases += [
            ("no token", request("POST", path, [json_type], good)),
            ("wrong token", request("POST", path, ["Authorization: Bearer x", json_type], good)),
            ("no Host", request("POST", path, [auth, json_type], good, host=False)),
            ("no Content-Type", request("POST", path, [auth], good)),
            ("body over 1 MiB", request("POST", path, [auth, json_type], b'{"a":"' + b"x" * (1 << 20) + b'"}')),
            ("headers over 8 KiB", request("POST", path, [auth, json_type, "X-F: " + "y" * 9000], good)),
            ("nesting 10000 deep", request("POST", path, [auth, json_type], b"[" * 10000 + b"]" * 10000)),
            ("object nesting", request("POST", path, [auth, json_type], b'{"a":' * 5000 + b"1" + b"}" * 5000)),
            ("truncated JSON", request("POST", path, [auth, json_type], good[:-3])),
            ("not UTF-8", request("POST", path, [auth, json_type], b'{"cert_dir":"\xff\xfe"}')),
            ("a JSON array", request("POST", path, [auth, json_type], b"[1,2]")),
            ("a JSON string", request("POST", path, [auth, json_type], b'"x"')),
            ("trailing tokens", request("POST", path, [auth, json_type], good + b"{}")),
            ("duplicate keys", request("POST", path, [auth, json_type], b'{"cert_dir":"/a","cert_dir":"/b"}')),
            ("NaN", request("POST", path, [auth, json_type], b'{"x":NaN}')),
            ("huge number", request("POST", path, [auth, json_type], b'{"x":' + b"9" * 5000 + b"}")),
            ("dry_run a string", request("POST", path, [auth, json_type], b'{"dry_run":"yes","cert_dir":"%s"}'
                                         % target.encode())),
            ("unknown field", request("POST", path, [auth, json_type], b'{"nope":1,"cert_dir":"%s"}' % target.encode())),
            ("Content-Length too small", request("POST", path, [auth, json_type, "Content-Length: 3"], good, )),
            ("chunked garbage", request("POST", path, [auth, json_type, "Transfer-Encoding: chunked"], None)
             + b"zz\r\nabc\r\n0\r\n\r\n"),
            ("gzip body", request("POST", path, [auth, json_type, "Content-Encoding: gzip"], b"\x1f\x8b\x08garbage")),
            ("GET", request("GET", path, [auth], None)),
            ("DELETE", request("DELETE", path, [auth], None)),
            ("path traversal", request("POST", "/v1/../v1/" + call + "/..%2f..%2fetc", [auth, json_type], good)),
        ]
    cases += [
        ("bad request line", b"GARBAGE\r\n\r\n"),
        ("HTTP/0.9", b"GET /healthz\r\n\r\n"),
        ("long URI", request("GET", "/" + "a" * 10000, [auth], None)),
        ("NUL in path", request("GET", "/v1/\x00", [auth], None)),
    ]
    return cases


def snapshot(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.relative_to(root).parts[0] in ("home", "worker.log", "openapi.json"):
                continue  # the worker's own home and log, the fuzz's schema
            st = path.lstat()
            out[str(path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def run_abuse(worker, scratch, rounds):
    cases = abuse_cases(worker, scratch)
    before = snapshot(scratch)
    statuses, bad, t0 = {}, [], time.monotonic()
    sent = 0
    for _ in range(rounds):
        for description, data in cases:
            status = raw(worker, data)
            sent += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500 or status == -1 or (200 <= status < 300 and description != "HTTP/0.9"):
                bad.append((description, status))
        worker.rss_mb()
    # slowloris: partial requests held open must not starve a real caller; each is bounded by the
    # server's idle timeout, and the test drops them itself
    held = []
    for i in range(64):
        s = socket.create_connection(("127.0.0.1", worker.port), timeout=TIMEOUT)
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" if i % 2  # an HTTP/2 preface without h2c waits too
                  else b"POST /v1/pki HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
        held.append(s)
    # An unknown HTTP version is answered 501 by Vert.x's codec before any handler (RFC 9110 15.6.6
    # would say 505): a protocol answer, counted and printed apart, not a fault of the worker.
    version_status = raw(worker, request("GET", "/healthz", [], None, version="HTTP/9.9"))
    t1 = time.monotonic()
    ok = urllib.request.urlopen(worker.url + "/healthz", timeout=TIMEOUT).status == 200
    slow = time.monotonic() - t1
    for s in held:
        s.close()
    after = snapshot(scratch)
    written = sorted(set(after.items()) ^ set(before.items()))
    print("raw abuse: %d requests (%d kinds) in %.1f s; answers %s; 5xx/hangs/2xx: %d; "
          "written by rejected requests: %d; /healthz with 64 partial requests open: %s in %.2f s; "
          "HTTP/9.9 request line: %s (Vert.x)"
          % (sent, len(cases), time.monotonic() - t0, dict(sorted(statuses.items())), len(bad), len(written),
             "200" if ok else "failed", slow, version_status))
    for description, status in bad[:20]:
        print("  %s -> %s" % (description, status))
    for entry in written[:20]:
        print("  written: %s" % (entry,))
    return not bad and not written and ok


WRITE_PATHS = ("cert_dir", "kubeconfig_dir", "manifest_dir", "kubelet_config_path", "encryption_config_path",
               "static_pod_path", "kubelet_cert_dir")


def confine_paths(node):
    """Pins every path the worker writes to a folder of the scratch directory (/tmp as the worker
    sees it) and makes it required, so generated requests never name a real system folder."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name in WRITE_PATHS:
                if name in props:
                    props[name] = {"type": "string", "enum": ["/tmp/fuzz/" + name]}
                    node["required"] = sorted(set(node.get("required", [])) | {name})
        for value in node.values():
            confine_paths(value)
    elif isinstance(node, list):
        for value in node:
            confine_paths(value)
    return node


def run_schemathesis(worker, scratch, examples, budget):
    st = FUZZ_VENV / "bin" / "schemathesis"
    if not st.exists():
        sys.exit("%s is missing: make fuzz-venv" % st)
    schema = scratch / "openapi.json"
    req = urllib.request.Request(worker.url + "/v1/openapi.yaml", headers={"Authorization": "Bearer " + worker.token})
    schema.write_text(json.dumps(confine_paths(yaml.safe_load(urllib.request.urlopen(req, timeout=TIMEOUT).read()))))
    env = dict(os.environ, SCHEMATHESIS_HOOKS="", NO_COLOR="1")
    log_start = len((scratch / "worker.log").read_text(errors="replace").splitlines())
    t0 = time.monotonic()
    cmd = [str(st), "run", str(schema), "--url", worker.url, "-H", "Authorization: Bearer " + worker.token,
           "--checks", "not_a_server_error", "--max-examples", str(examples), "--request-timeout", str(TIMEOUT),
           "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-color", "--suppress-health-check", "all"]
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(scratch), capture_output=True, text=True, timeout=budget)
        out = proc.stdout + proc.stderr
        rc = proc.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
    worker.rss_mb()
    # the worker's request log counts every answer, also when the budget stopped schemathesis
    statuses = {}
    for line in (scratch / "worker.log").read_text(errors="replace").splitlines()[log_start:]:
        m = re.search(r" INFO io\.kubeforge\.worker\.http\.WorkerServer: \S+ \S+ (\d{3}) \d+ ms$", line)
        if m:
            statuses[m.group(1)] = statuses.get(m.group(1), 0) + 1
    errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    summary = [line.strip() for line in out.splitlines() if "generated" in line or "Server error" in line]
    print("schemathesis: %.1f s%s, %d requests answered %s, 5xx: %d; %s"
          % (time.monotonic() - t0, " (stopped at the time budget)" if rc == -1 else ", exit %s" % rc,
             sum(statuses.values()), dict(sorted(statuses.items())), errors, " | ".join(summary[-3:])))
    if rc not in (0, -1):
        print(out[-6000:])
    return errors == 0 and rc in (0, -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=str(REPO / "worker" / "target" / "kubeforge-worker.jar"))
    ap.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "20")))
    ap.add_argument("--abuse", type=int, default=int(os.environ.get("FUZZ_ABUSE_ROUNDS", "4")))
    ap.add_argument("--budget", type=int, default=int(os.environ.get("FUZZ_BUDGET", "150")),
                    help="seconds schemathesis may run")
    a = ap.parse_args()
    # /run: never below a folder the namespace binds over (/tmp, /var/tmp, /dev/shm, /var/lib,
    # /etc/kubernetes), wherever the checkout is (a clone in /tmp would hide its own scratch)
    scratch = Path(tempfile.mkdtemp(prefix="kubeforge-fuzz-", dir="/run"))
    worker = Worker(a.jar, scratch)
    try:
        print("worker up, RSS %.0f MB idle" % worker.rss_mb())
        ok = run_abuse(worker, scratch, a.abuse)
        ok = run_schemathesis(worker, scratch, a.examples, a.budget) and ok
        alive = urllib.request.urlopen(worker.url + "/healthz", timeout=TIMEOUT).status == 200
        rss = worker.rss_mb()
        print("after the fuzz: worker %s, RSS %.0f MB now, %.0f MB at most (bound %d MB)"
              % ("answers" if alive else "does not answer", rss, worker.max_rss, RSS_BOUND_MB))
        ok = ok and alive and worker.max_rss <= RSS_BOUND_MB
        log = (scratch / "worker.log").read_text(errors="replace")
        traces = log.count("\tat ")
        print("worker log: %d SEVERE lines, %d stack frames" % (log.count(" SEVERE "), traces))
        for line in [l for l in log.splitlines() if " SEVERE " in l][:10]:
            print("  " + line)
    finally:
        worker.stop()
        if os.environ.get("FUZZ_KEEP"):
            print("kept " + str(scratch))
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("api fuzz: %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
