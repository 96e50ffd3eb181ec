# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""The options and the one entry point of the modules that talk to an API server through the worker
(doc fragment kubeforge.cluster.kube)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import kubeadm_config_value
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
    request_from_params,
    worker_argument_spec,
)

KUBE_OPTIONS = dict(
    kubeconfig=dict(type="path"),
    kubeconfig_dir=dict(type="path"),
    timeout=dict(type="int"),
)


def run_kube_module(path, own_options, module_class=AnsibleModule):
    """Builds the module from the shared and its own options, sends every set option to ``path``
    (path-typed ones made absolute, ``kubeadm_config`` as the cluster modules send it) and exits
    with the worker's answer."""
    options = dict(KUBE_OPTIONS)
    options.update(own_options)
    module = module_class(argument_spec=worker_argument_spec(**options), supports_check_mode=True)
    paths = [name for name, spec in options.items() if spec.get("type") == "path"]
    body = request_from_params(module.params, list(options), paths=paths)
    if "kubeadm_config" in body:
        body["kubeadm_config"] = kubeadm_config_value(body["kubeadm_config"])
    call_and_exit(module, path, body)
