# -*- coding: utf-8 -*-
# Copyright: kubeforge maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The request body the cluster modules send: what is set goes, paths absolute, YAML text kept."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    CLUSTER_OPTIONS,
    cluster_argument_spec,
    cluster_request,
    kubeadm_config_value,
)


def test_unset_options_are_left_out_and_relative_paths_made_absolute():
    body = cluster_request({"advertise_address": "192.0.2.10", "cert_dir": "pki", "node_name": None})
    assert body == {"advertise_address": "192.0.2.10", "cert_dir": os.path.abspath("pki")}


def test_kubeadm_config_text_stays_text_and_a_file_name_becomes_a_path():
    text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
    assert kubeadm_config_value(text) == text
    assert kubeadm_config_value("kubeadm.yaml") == os.path.abspath("kubeadm.yaml")


def test_secrets_in_the_cluster_model_are_no_log():
    for name in ("kubeadm_config", "apiserver_extra_envs", "controller_manager_extra_envs",
                 "scheduler_extra_envs", "etcd_extra_envs"):
        assert CLUSTER_OPTIONS[name].get("no_log") is True, name


def test_the_worker_options_come_with_the_cluster_options():
    spec = cluster_argument_spec(backup=dict(type="bool", default=True))
    assert {"worker_home", "worker_timeout", "java_executable", "backup", "advertise_address"} <= set(spec)
