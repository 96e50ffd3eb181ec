# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options shared by every module that talks to the kubeforge worker (worker_argument_spec)."""

    DOCUMENTATION = r"""
options:
  worker_home:
    description:
      - The worker's folder on the managed host. It holds C(worker.jar), the C(token) (mode 0600),
        the C(endpoint) file and C(worker.log).
      - When not set, the worker's own rule applies on the managed host - C($KUBEFORGE_HOME), else
        C(/var/lib/kubeforge) for root, else C(~/.kubeforge).
      - If no worker answers at C(<worker_home>/endpoint), the module starts
        C(<java_executable> -jar <worker_home>/worker.jar --home <worker_home>) itself, detached,
        and waits up to 30 seconds for it.
    type: path
  worker_timeout:
    description:
      - Seconds to wait for the worker's answer to one request.
    type: int
    default: 120
  java_executable:
    description:
      - The Java 17+ runtime used to start the worker when none is running.
    type: str
    default: java
notes:
  - The bearer token is read from C(<worker_home>/token) on the managed host; it is never a module option
    and never returned.
  - O(worker_home), O(worker_timeout) and O(java_executable) can be set once for every module of this
    collection with C(module_defaults) for C(group/kubeforge.cluster.worker); the cluster model's
    options go to C(group/kubeforge.cluster.cluster) (the modules that take them).
"""
