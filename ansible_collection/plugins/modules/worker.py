#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: worker
short_description: Install, start or stop the kubeforge worker on the managed host
version_added: 0.1.0
description:
  - Installs the worker jar O(src) (a file already on the managed host) as C(<worker_home>/worker.jar),
    atomically and only when its SHA-256 differs from the installed one.
  - Makes the class-data archive C(<worker_home>/worker.jsa) of the installed jar (a short training
    run of the worker under C(-XX:ArchiveClassesAtExit)) when it is missing or older than the jar;
    the worker starts from it in about half the time.
  - With O(state=started) makes sure a worker answers C(/healthz), starting it detached if needed, and
    restarts a running worker whose jar was just replaced. O(state=stopped) stops a running worker.
  - Every other module of this collection starts the worker on its own when none answers; this
    module is for installing it, restarting it on upgrade and stopping it.
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reports what would be installed, started or stopped and does nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  src:
    description:
      - Path of the worker jar on the managed host (copy it there first, for example with M(ansible.builtin.copy)).
      - Required unless a jar is already installed in O(worker_home) or O(state=stopped).
    type: path
  sha256:
    description:
      - The SHA-256 (hex) O(src) must have. When set, the jar is checked before it is installed or
        used, and the task fails naming both sums when they differ - nothing is installed then.
      - The worker role passes the pinned sum of a downloaded or staged jar here.
    type: str
  state:
    description:
      - V(present) installs the jar only; V(started) installs it and makes sure the worker runs
        (restarting it when the jar changed); V(stopped) stops a running worker.
    type: str
    choices: [present, started, stopped]
    default: started
seealso:
  - module: kubeforge.cluster.pki
"""

EXAMPLES = r"""
- name: Stage the jar on the host
  ansible.builtin.copy:
    src: worker/target/kubeforge-worker.jar
    dest: /var/tmp/kubeforge-worker.jar
    mode: "0644"

- name: Install and start the worker, checking the jar against its pinned SHA-256 first
  kubeforge.cluster.worker:
    src: /var/tmp/kubeforge-worker.jar
    sha256: "{{ kubeforge_worker_jar_sha256 }}"

- name: Stop it
  kubeforge.cluster.worker:
    state: stopped
"""

RETURN = r"""
jar:
  description: Path of the installed jar.
  returned: always
  type: str
  sample: /var/lib/kubeforge/worker.jar
sha256:
  description: SHA-256 of the installed jar (of O(src) in check mode), or null when none is installed.
  returned: always
  type: str
  sample: 5e0c3f0e5a0d7a9a1c1b7f1e1f1e1c9b5b0f8d8d1d1a5b9e0e1f2a3b4c5d6e7f
installed:
  description: Whether the jar was (or, in check mode, would be) installed or replaced.
  returned: always
  type: bool
running:
  description: Whether a worker answers after the task (in check mode, whether it would).
  returned: always
  type: bool
url:
  description: Where the worker listens, from C(<worker_home>/endpoint).
  returned: when a worker answers (not when one is about to be started or restarted in check mode)
  type: str
  sample: http://127.0.0.1:40123
pid:
  description: The worker's process id.
  returned: when a worker answers (not when one is about to be started or restarted in check mode)
  type: int
class_archive:
  description:
    - Path of the class-data archive made for the installed jar (C(<worker_home>/worker.jsa)), which
      the worker starts from; made on install and whenever it is missing or older than the jar.
    - Null when the JVM could not make one (the worker then starts without it, only slower).
  returned: unless O(state=stopped)
  type: str
  sample: /var/lib/kubeforge/worker.jsa
version:
  description: The version the worker reports on C(/healthz).
  returned: when a worker answers (not when one is about to be started or restarted in check mode)
  type: str
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    WorkerClient,
    WorkerError,
    absolute_path,
    worker_argument_spec,
)


def install(module, client, src, expected=None):
    """Copies src over <home>/worker.jar atomically when the SHA-256 differs; returns (changed, sha256)."""
    src_sum = module.sha256(src)
    if expected and src_sum != expected.strip().lower():
        module.fail_json(msg="sha256: %s has SHA-256 %s, expected %s; refusing to install it" % (src, src_sum, expected),
                         field="sha256")
    jar = client.home.jar
    if os.path.isfile(jar) and module.sha256(jar) == src_sum:
        return False, src_sum
    if not module.check_mode:
        client.home.ensure_dir()
        fd, tmp = tempfile.mkstemp(prefix=".worker.jar.", dir=client.home.path)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)
            os.rename(tmp, jar)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return True, src_sum


def main():
    module = AnsibleModule(
        argument_spec=worker_argument_spec(
            src=dict(type="path"),
            sha256=dict(type="str"),
            state=dict(type="str", choices=["present", "started", "stopped"], default="started"),
        ),
        supports_check_mode=True,
    )
    state, src = module.params["state"], absolute_path(module.params["src"])
    client = WorkerClient(module)
    result = dict(changed=False, jar=client.home.jar, installed=False, running=False, sha256=None)
    try:
        if src is not None and not os.path.isfile(src):
            if not module.check_mode:
                module.fail_json(msg="src: %s does not exist on the managed host" % src, field="src")
            # check mode: an earlier task (ansible.builtin.copy) would have staged it
            module.warn("src %s does not exist; assuming an earlier task stages it" % src)
            result.update(changed=True, installed=True, running=state != "stopped")
            module.exit_json(**result)
        if src is not None and state != "stopped":
            result["installed"], result["sha256"] = install(module, client, src, module.params["sha256"])
        elif os.path.isfile(client.home.jar):
            result["sha256"] = module.sha256(client.home.jar)
        elif state != "stopped":
            module.fail_json(msg="src is required: no worker jar is installed at %s" % client.home.jar, field="src")
        running = client.probe()
        if state != "stopped" and not module.check_mode:
            # made before any (re)start, so the worker starts from it; a restart finds it current
            result["class_archive"], made = client.ensure_class_archive()
            result["changed"] = made
        restart = running is not None and result["installed"]
        stop = restart or (state == "stopped" and running is not None)
        start = restart or (state == "started" and running is None)
        result["changed"] = result["changed"] or result["installed"] or stop or start
        if module.check_mode and stop:
            running = None
        elif not module.check_mode:
            if stop:
                client.stop()
                running = None
            if start:
                running = client.start()[0]
        result["running"] = state != "stopped" and (start or running is not None)
    except WorkerError as e:
        e.fail(module)
    if running:
        result.update(url=running.get("url"), pid=running.get("pid"), version=running.get("version"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
