# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""The one client every kubeforge.cluster module uses to reach this host's worker.

It finds the worker through ``<home>/endpoint`` and ``<home>/token`` (docs/api.md), starts
``java -jar <home>/worker.jar`` when nothing answers, sends ``POST /v1/...`` with the bearer
token, retries 408/429/503 and turns every failure into a ``WorkerError`` whose ``fail()``
reports ``msg``, ``http_status``, ``code`` and ``field`` as structured fields. Modules own no
HTTP, no retries and no crypto.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import fetch_url, open_url

DEFAULT_ROOT_HOME = "/var/lib/kubeforge"
RETRY_STATUS_CODES = (408, 429, 503)
MAX_ATTEMPTS = 5
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
HEALTH_TIMEOUT = 2
ARCHIVE_TIMEOUT = 60.0

# The worker's JVM options: the one list every launcher uses (this client's auto-start, the worker
# module, `make jar`, the fuzz tests and the bench). The worker is a small, mostly idle, loopback
# server: a bounded heap and metaspace instead of a quarter of the host's RAM, and the serial
# collector (no GC threads, no per-thread regions), which suits a heap this size best. Start-up
# comes from the class-data archive (see java_command and make_class_archive). The README's
# "The worker alone" has the figures behind each bound.
JVM_OPTIONS = (
    "-XX:+UseSerialGC",
    "-Xms8m",
    "-Xmx64m",
    # the heap the key pool's generation grew is given back by the full collection the worker
    # makes once its pool is full (idle RSS)
    "-XX:MinHeapFreeRatio=10",
    "-XX:MaxHeapFreeRatio=20",
    "-XX:MaxMetaspaceSize=48m",
    "-XX:ReservedCodeCacheSize=24m",
    "-XX:MaxDirectMemorySize=16m",
    "-Xss512k",
    "-XX:-UsePerfData",
    "-Xshare:auto",
)


def java_command(java, jar, home, archive=None, dump_archive_to=None):
    """Returns the command line that runs the worker jar with JVM_OPTIONS.

    ``archive`` is the class-data archive made for this jar (used when the file exists; a JVM that
    finds it stale or made by another JDK ignores it and starts without it, as -Xshare:auto says);
    ``dump_archive_to`` makes the JVM write a new archive of every class it loaded when it exits."""
    cmd = [java] + list(JVM_OPTIONS)
    if dump_archive_to:
        cmd.append("-XX:ArchiveClassesAtExit=" + dump_archive_to)
    elif archive and os.path.isfile(archive):
        cmd.append("-XX:SharedArchiveFile=" + archive)
    return cmd + ["-jar", jar, "--home", home]


def class_archive_of(jar):
    """The class-data archive that belongs to a jar: ``<jar without .jar>.jsa`` beside it."""
    return (jar[:-4] if jar.endswith(".jar") else jar) + ".jsa"


def class_archive_is_current(jar, archive):
    """An archive is current when it exists and is newer than its jar (installing a jar replaces
    the file, so a new jar is always newer than the archive of the old one)."""
    try:
        return os.path.getsize(archive) > 0 and os.path.getmtime(archive) >= os.path.getmtime(jar)
    except OSError:
        return False


def make_class_archive(java, jar, archive, timeout=ARCHIVE_TIMEOUT):
    """Makes the class-data archive of ``jar`` at ``archive``; returns True when it did.

    A training run: the worker starts in a throw-away home with -XX:ArchiveClassesAtExit, answers
    /healthz and authenticated calls (so the archive holds the classes of start-up and of a
    request), and is stopped; the JVM writes the archive on exit, to a temporary name renamed into
    place only when the run ended cleanly. The JDK checks the jar's path, size and time against
    the archive, so it is made for the jar at its installed path. The calls write only into the
    throw-away home: a PKI, an admin.conf, and one cluster call (``bootstrap-token`` list) to a
    stand-in API server on loopback serving that PKI's certificate (see _api_stand_in), so that the
    first real cluster call finds the TLS, HTTP client and kubeconfig classes archived too (skipped
    when the first calls already took a third of ``timeout``). Bounded by ``timeout``; any failure
    leaves no archive and the worker simply starts without one (a failing cluster call only leaves
    those classes out)."""
    home = tempfile.mkdtemp(prefix="kubeforge-archive-")
    tmp = "%s.%d.tmp" % (archive, os.getpid())
    proc = None
    try:
        with open(os.devnull, "wb") as devnull:
            proc = subprocess.Popen(java_command(java, jar, home, dump_archive_to=tmp), cwd=home,
                                    stdin=subprocess.DEVNULL, stdout=devnull, stderr=devnull, close_fds=True)
        deadline = time.time() + timeout
        url = None
        while url is None and time.time() < deadline and proc.poll() is None:
            endpoint = WorkerHome(home).endpoint()
            url = endpoint["url"] if endpoint and endpoint.get("pid") == proc.pid else None
            time.sleep(0.05 if url is None else 0)
        if url is None:
            return False
        with open(os.path.join(home, "token")) as f:
            token = f.read().strip()
        open_url(url + "/healthz", timeout=timeout, use_proxy=False).read()
        pki = os.path.join(home, "pki")

        def call(name, body):
            open_url(url + "/v1/" + name, method="POST", data=json.dumps(body), timeout=timeout, use_proxy=False,
                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}).read()
        call("cert-info", {"cert_dir": pki})
        call("pki", {"cert_dir": pki, "advertise_address": "127.0.0.1", "node_name": "training"})
        if deadline - time.time() > timeout * 2 / 3:  # a slow host: keep the archive, leave the client out
            _train_cluster_call(call, home, pki)
        proc.terminate()
        proc.wait(max(1.0, deadline - time.time()))
        if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            return False
        os.chmod(tmp, 0o644)
        os.rename(tmp, archive)
        return True
    except Exception:  # never a reason not to start: the worker runs without an archive
        return False
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if os.path.exists(tmp):
            os.unlink(tmp)
        shutil.rmtree(home, ignore_errors=True)


def _api_stand_in(pki):
    """A loopback HTTPS server (the standard library's) that answers every GET with an empty JSON
    list and every PATCH (an apply) with the applied object, serving the training PKI's apiserver
    certificate and asking for a client certificate: just enough of an API server for the worker's
    client to go through TLS, authentication and one call."""
    import ssl
    try:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    except ImportError:  # Python 2 on a managed host: the archive simply leaves the client out
        return None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        BODY = b'{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}'

        # every cluster call first applies the kubeadm:cluster-admins binding (a PATCH)
        APPLIED = (b'{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",'
                   b'"metadata":{"name":"kubeadm:cluster-admins","resourceVersion":"1"}}')

        def _answer(self, body):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._answer(self.BODY)

        def do_PATCH(self):
            self._answer(self.APPLIED)

        def log_message(self, *args):
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, "apiserver.crt"), os.path.join(pki, "apiserver.key"))
    ctx.load_verify_locations(os.path.join(pki, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    return server


def _train_cluster_call(call, home, pki):
    """One cluster call against _api_stand_in; a failure only leaves the client's classes out."""
    import threading
    try:
        stand_in = _api_stand_in(pki)
    except Exception:
        return
    if stand_in is None:
        return
    thread = threading.Thread(target=stand_in.serve_forever)
    thread.daemon = True
    thread.start()
    try:
        etc = os.path.join(home, "etc")
        call("kubeconfigs", {"cert_dir": pki, "kubeconfig_dir": etc, "advertise_address": "127.0.0.1",
                             "node_name": "training", "control_plane_endpoint": "127.0.0.1:%d" % stand_in.server_address[1],
                             "kubeconfigs": ["admin.conf"]})
        call("bootstrap-token", {"kubeconfig_dir": etc, "state": "list", "timeout": 10})
    except Exception:
        pass
    finally:
        stand_in.shutdown()
        stand_in.server_close()
        thread.join(5)


def worker_argument_spec(**module_options):
    """Returns the options every worker module shares, merged with the module's own."""
    spec = dict(
        worker_home=dict(type="path"),
        worker_timeout=dict(type="int", default=120),
        java_executable=dict(type="str", default="java"),
    )
    spec.update(module_options)
    return spec


def default_worker_home(environ=None):
    """Applies the worker's own rule: $KUBEFORGE_HOME, /var/lib/kubeforge for root, ~/.kubeforge."""
    environ = os.environ if environ is None else environ
    if environ.get("KUBEFORGE_HOME"):
        return os.path.abspath(environ["KUBEFORGE_HOME"])
    if os.geteuid() == 0:
        return DEFAULT_ROOT_HOME
    return os.path.join(os.path.expanduser("~"), ".kubeforge")


def absolute_path(path):
    """Makes a user-given path absolute (against the module's cwd); the worker refuses relative paths."""
    if path is None:
        return None
    return os.path.abspath(os.path.expanduser(path))


def request_from_params(params, names, paths=()):
    """Builds a request body from the named module options, leaving out unset ones."""
    body = {}
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        body[name] = absolute_path(value) if name in paths else value
    return body


class WorkerError(Exception):
    """A failure talking to the worker; ``fail(module)`` reports it with structured fields."""

    def __init__(self, msg, http_status=None, code=None, field=None, **details):
        super(WorkerError, self).__init__(msg)
        self.msg = msg
        self.http_status = http_status
        self.code = code
        self.field = field
        self.details = details

    def fail(self, module):
        fields = dict(self.details)
        for key in ("http_status", "code", "field"):
            value = getattr(self, key)
            if value is not None:
                fields[key] = value
        module.fail_json(msg=self.msg, **fields)


class WorkerResponse:
    """The success envelope: changed, warnings, result (facts) and diff."""

    def __init__(self, body):
        self.changed = bool(body.get("changed", False))
        self.warnings = list(body.get("warnings") or [])
        self.result = dict(body.get("result") or {})
        self.diff = body.get("diff")


class WorkerHome:
    """The worker's folder on this host and the files in it (docs/api.md, "Worker home")."""

    def __init__(self, path):
        self.path = path

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def jar(self):
        return self.file("worker.jar")

    @property
    def archive(self):
        return class_archive_of(self.jar)

    @property
    def log(self):
        return self.file("worker.log")

    def endpoint(self):
        """Returns the published ``{"url", "pid"}`` or None when there is none (or it is unreadable)."""
        try:
            with open(self.file("endpoint"), "rb") as f:
                data = json.loads(to_text(f.read()))
        except (IOError, OSError, ValueError):
            return None
        if not isinstance(data, dict) or not data.get("url"):
            return None
        return data

    def token(self):
        try:
            with open(self.file("token"), "rb") as f:
                return to_text(f.read()).strip()
        except (IOError, OSError) as e:
            raise WorkerError("cannot read the worker token %s: %s" % (self.file("token"), to_native(e)))

    def lock(self):
        """Returns an open file holding an exclusive flock on ``start.lock``; close it to release."""
        self.ensure_dir()
        handle = open(self.file("start.lock"), "a")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return handle

    def ensure_dir(self):
        if not os.path.isdir(self.path):
            os.makedirs(self.path, 0o700)

    def log_tail(self, lines=5):
        try:
            with open(self.log, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                return [to_text(line, errors="replace") for line in f.read().splitlines()[-lines:]]
        except (IOError, OSError):
            return []


class WorkerClient:
    """Talks to this host's worker for one module run, starting it first if nothing answers."""

    def __init__(self, module):
        self.module = module
        params = module.params
        self.home = WorkerHome(absolute_path(params.get("worker_home")) or default_worker_home())
        self.timeout = params.get("worker_timeout") or 120
        self.java = params.get("java_executable") or "java"
        self._endpoint = None

    # ---- requests -------------------------------------------------------------------------

    def post(self, path, payload):
        """POSTs ``payload`` (plus ``dry_run`` = check mode) to ``path``; returns a WorkerResponse.

        One round trip when the worker is up: the request goes straight to the published endpoint
        of a live worker process. Only when that connection is refused (the request reached no one,
        so even a non-idempotent call is safe to send again) does the client probe, start a worker
        if needed, and send once more."""
        body = dict(payload)
        body["dry_run"] = bool(self.module.check_mode)
        data = json.dumps(body)
        endpoint = self._endpoint or self._published() or self.ensure_running()
        url = endpoint["url"].rstrip("/") + path
        resp, info, status = self._send(url, data)
        if status == -1 and "refused" in to_native(info.get("msg", "")).lower() and self._endpoint is None:
            url = self.ensure_running()["url"].rstrip("/") + path
            resp, info, status = self._send(url, data)
        if status == -1:
            raise WorkerError("could not reach the kubeforge worker at %s: %s (see %s)"
                              % (url, info.get("msg"), self.home.log), http_url=url)
        raw = _body(resp, info)
        if status != 200:
            raise _http_error(path, url, status, raw, self.home)
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise WorkerError("the worker answered %s with something that is not JSON" % path,
                              http_status=status, http_url=url)
        return WorkerResponse(decoded)

    def _send(self, url, data):
        """Sends one POST, retrying 408/429/503 with a clamped Retry-After; returns (resp, info, status)."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": "Bearer %s" % self.home.token(),
        }
        for attempt in range(1, MAX_ATTEMPTS + 1):
            resp, info = fetch_url(self.module, url, data=data, headers=headers, method="POST",
                                   use_proxy=False, force=True, timeout=self.timeout, use_netrc=False)
            status = info.get("status", -1)
            if status in RETRY_STATUS_CODES and attempt < MAX_ATTEMPTS:
                time.sleep(_retry_after(info, attempt))
                continue
            return resp, info, status
        return resp, info, status

    def _published(self):
        """Returns the endpoint a live worker published, without a round trip; None when there is none
        or its process is gone (a stale endpoint: never send the token to whatever took its port)."""
        endpoint = self.home.endpoint()
        if endpoint is None or not endpoint.get("pid") or not _alive(int(endpoint["pid"])):
            return None
        return endpoint

    # ---- lifecycle -------------------------------------------------------------------------

    def probe(self):
        """Returns the endpoint dict (with ``version``) of a worker that answers /healthz, else None."""
        endpoint = self._published()
        if endpoint is None:
            return None
        health = self._healthz(endpoint["url"])
        if health is None:
            return None
        endpoint = dict(endpoint, version=health.get("version"))
        return endpoint

    def ensure_running(self):
        """Returns the endpoint of a healthy worker, starting one (once, under a lock) if needed."""
        if self._endpoint is not None:
            return self._endpoint
        endpoint = self.probe()
        if endpoint is None:
            self._require_jar()  # before the lock, which would create an empty home
            handle = self.home.lock()
            try:
                endpoint = self.probe() or self._start()
            finally:
                handle.close()
        self._endpoint = endpoint
        return endpoint

    def start(self):
        """Starts the worker if none answers; returns (endpoint, started)."""
        endpoint = self.probe()
        if endpoint is not None:
            return endpoint, False
        handle = self.home.lock()
        try:
            endpoint = self.probe()
            if endpoint is not None:
                return endpoint, False
            return self._start(), True
        finally:
            handle.close()

    def stop(self):
        """Stops the worker that answers at the published endpoint; returns True when one was stopped."""
        handle = self.home.lock()
        try:
            endpoint = self.probe()
            if endpoint is None or not endpoint.get("pid"):
                return False
            pid = int(endpoint["pid"])
            _signal(pid, signal.SIGTERM)
            deadline = time.time() + STOP_TIMEOUT
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                _signal(pid, signal.SIGKILL)
                while _alive(pid) and time.time() < deadline + 5:
                    time.sleep(0.1)
            self._endpoint = None
            return True
        finally:
            handle.close()

    def ensure_class_archive(self):
        """Makes the class-data archive of the installed jar unless a current one exists; returns
        (archive path or None, made)."""
        jar, archive = self.home.jar, self.home.archive
        if class_archive_is_current(jar, archive):
            return archive, False
        if make_class_archive(self.java, jar, archive):
            return archive, True
        return None, False

    def _require_jar(self):
        if not os.path.isfile(self.home.jar):
            raise WorkerError("no kubeforge worker answers and %s does not exist; install it with the "
                              "kubeforge.cluster.worker module (or the kubeforge.cluster.worker role)" % self.home.jar)

    def _start(self):
        self._require_jar()
        previous = self.home.endpoint()
        archive = self.ensure_class_archive()[0]
        cmd = java_command(self.java, self.home.jar, self.home.path, archive)
        try:
            with open(self.home.log, "ab") as log, open(os.devnull, "rb") as devnull:
                os.chmod(self.home.log, 0o600)
                proc = subprocess.Popen(cmd, cwd=self.home.path, stdin=devnull, stdout=log, stderr=log,
                                        close_fds=True, start_new_session=True)
        except OSError as e:
            raise WorkerError("cannot start the kubeforge worker (%s): %s" % (" ".join(cmd), to_native(e)))
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            endpoint = self.home.endpoint()
            if endpoint is not None and endpoint != previous:
                health = self._healthz(endpoint["url"])
                if health is not None:
                    return dict(endpoint, version=health.get("version"))
            code = proc.poll()
            if code is not None:
                raise WorkerError("the kubeforge worker exited with status %s right after starting; see %s"
                                  % (code, self.home.log), log_tail=self.home.log_tail())
            time.sleep(0.1)
        raise WorkerError("the kubeforge worker did not come up within %d s; see %s"
                          % (START_TIMEOUT, self.home.log), log_tail=self.home.log_tail())

    def _healthz(self, url):
        resp, info = fetch_url(self.module, url.rstrip("/") + "/healthz", method="GET", use_proxy=False,
                               force=True, timeout=HEALTH_TIMEOUT, use_netrc=False)
        if info.get("status") != 200:
            return None
        try:
            health = json.loads(_body(resp, info))
        except ValueError:
            return None
        return health if isinstance(health, dict) and health.get("status") == "ok" else None


def _body(resp, info):
    """Returns the response text; for an HTTP error fetch_url has already read it into info["body"]."""
    if "body" in info:
        return to_text(info["body"] or "")
    if resp is None:
        return ""
    try:
        return to_text(resp.read())
    except Exception:  # a broken connection mid-body reads as an empty answer
        return ""


def _retry_after(info, attempt):
    try:
        wait = float(info.get("retry-after"))
    except (TypeError, ValueError):
        wait = float(attempt)
    return min(max(wait, 1.0), 10.0)


def _http_error(path, url, status, raw, home):
    try:
        error = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or ("HTTP %s without an error body" % status)
    code = error.get("code")
    field = error.get("field")
    if field and field not in message:
        message = "%s: %s" % (field, message)
    if status == 401:
        message = ("the worker rejected the token in %s (%s); the token file changed while the worker ran: "
                   "restart it with kubeforge.cluster.worker state=stopped, then state=started"
                   % (home.file("token"), message))
    return WorkerError(message, http_status=status, code=code, field=field, http_url=url)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    try:  # a zombie (our own child in tests) counts as gone
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except (IOError, OSError, IndexError):
        return True


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError as e:
        if e.errno != errno.ESRCH:
            raise


def call_and_exit(module, path, payload, failure=None):
    """Posts one worker call and ends the module with its answer: the worker's warnings become
    module warnings, its diff is returned in diff mode, its result keys become the module's
    return values, and a worker error becomes fail_json with its structured fields. ``failure``,
    if given, maps the result to a failure message (or None): then the module fails with the
    result's keys still returned."""
    try:
        response = WorkerClient(module).post(path, payload)
    except WorkerError as e:
        e.fail(module)
    for warning in response.warnings:
        module.warn(warning)
    if module._diff and response.diff is not None:
        response.result["diff"] = response.diff
    msg = failure(response.result) if failure else None
    if msg:
        module.fail_json(msg=msg, changed=response.changed, **response.result)
    module.exit_json(changed=response.changed, **response.result)
