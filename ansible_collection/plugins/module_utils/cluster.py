# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""The cluster model options every render module shares (docs/api.md, "The cluster model").

``cluster_argument_spec(**own)`` is the one argument spec of the ``ClusterOptions`` schema, matched
by the doc fragment ``kubeforge.cluster.cluster``. No option has an argument-spec default: an unset
option is left out of the request, so a field of ``kubeadm_config`` wins unless the user sets the
option, and the worker fills the rest with kubeadm's defaults (its OpenAPI document states them;
the doc fragment repeats them in words, checked by tests/test_docs.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    absolute_path,
    worker_argument_spec,
)

KEY_ALGORITHMS = ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"]
COMPONENTS_WITH_VOLUMES = ("apiserver", "controller_manager", "scheduler")
COMPONENTS_WITH_ENVS = ("apiserver", "controller_manager", "scheduler", "etcd")
COMPONENTS_WITH_ARGS = ("apiserver", "controller_manager", "scheduler", "etcd", "kubelet")


def _cluster_options():
    names = dict(type="list", elements="str")
    spec = dict(
        # YAML text or a path; it may carry bootstrap tokens or a certificate key
        kubeadm_config=dict(type="str", no_log=True),
        cert_dir=dict(type="path"),
        kubeconfig_dir=dict(type="path"),
        manifest_dir=dict(type="path"),
        kubelet_config_path=dict(type="path"),
        encryption_config_path=dict(type="path"),
        node_name=dict(type="str"),
        advertise_address=dict(type="str"),
        bind_port=dict(type="int"),
        control_plane_endpoint=dict(type="str"),
        service_subnet=dict(type="str"),
        pod_subnet=dict(type="str"),
        dns_domain=dict(type="str"),
        cluster_name=dict(type="str"),
        kubernetes_version=dict(type="str"),
        image_repository=dict(type="str"),
        apiserver_cert_sans=dict(names),
        etcd=dict(type="str", choices=["local", "external"]),
        etcd_external_endpoints=dict(names),
        etcd_external_ca_file=dict(type="path"),
        etcd_external_cert_file=dict(type="path"),
        etcd_external_key_file=dict(type="path"),
        etcd_data_dir=dict(type="path"),
        etcd_image_tag=dict(type="str"),
        etcd_server_cert_sans=dict(names),
        etcd_peer_cert_sans=dict(names),
        key_algorithm=dict(type="str", choices=KEY_ALGORITHMS),
        certificate_validity=dict(type="str"),
        ca_certificate_validity=dict(type="str"),
        cri_socket=dict(type="str"),
        control_plane_component_health_check=dict(type="str"),
    )
    for component in COMPONENTS_WITH_ARGS:
        spec[component + "_extra_args"] = dict(type="raw")
    for component in COMPONENTS_WITH_VOLUMES:
        spec[component + "_extra_volumes"] = dict(type="list", elements="dict")
    for component in COMPONENTS_WITH_ENVS:
        # environment values often carry secrets: kept out of logs, diffs and results
        spec[component + "_extra_envs"] = dict(type="raw", no_log=True)
    return spec


CLUSTER_OPTIONS = _cluster_options()
# Paths the worker refuses when relative: made absolute against the module's working directory.
CLUSTER_PATHS = tuple(name for name, option in CLUSTER_OPTIONS.items() if option["type"] == "path")


def cluster_argument_spec(**module_options):
    """Returns the worker options, the cluster options and the module's own, in that order of precedence."""
    spec = dict((name, dict(option)) for name, option in CLUSTER_OPTIONS.items())
    spec.update(module_options)
    return worker_argument_spec(**spec)


def kubeadm_config_value(value):
    """YAML text stays text; anything else is a path, made absolute.

    Text is a value that contains a newline or starts with ``apiVersion``; a single line that does
    neither is a file name on the managed host.
    """
    if value is None:
        return None
    if "\n" in value or value.lstrip().startswith("apiVersion"):
        return value
    return absolute_path(value)


def cluster_request(params, own_fields=(), own_paths=()):
    """Builds the request body: every cluster option and own field that is set, paths made absolute."""
    body = {}
    for name in tuple(CLUSTER_OPTIONS) + tuple(own_fields):
        value = params.get(name)
        if value is None:
            continue
        if name == "kubeadm_config":
            value = kubeadm_config_value(value)
        elif name in CLUSTER_PATHS or name in own_paths:
            value = absolute_path(value)
        body[name] = value
    return body
