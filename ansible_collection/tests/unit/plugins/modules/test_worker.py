# -*- coding: utf-8 -*-
# Copyright: kubeforge maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""kubeforge.cluster.worker installs a jar only when its SHA-256 is the pinned one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest

from ansible_collections.kubeforge.cluster.plugins.modules import worker
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import WorkerHome


class Failed(Exception):
    pass


class FakeModule:
    check_mode = False

    def sha256(self, path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


class FakeClient:
    def __init__(self, home):
        self.home = WorkerHome(str(home))


def test_a_jar_with_the_pinned_sum_is_installed(tmp_path):
    src = tmp_path / "w.jar"
    src.write_bytes(b"jar")
    client = FakeClient(tmp_path / "home")
    changed, digest = worker.install(FakeModule(), client, str(src), hashlib.sha256(b"jar").hexdigest().upper())
    assert changed and digest == hashlib.sha256(b"jar").hexdigest()
    assert (tmp_path / "home" / "worker.jar").read_bytes() == b"jar"


def test_a_jar_with_another_sum_is_refused_and_nothing_is_installed(tmp_path):
    src = tmp_path / "w.jar"
    src.write_bytes(b"tampered")
    with pytest.raises(Failed) as failed:
        worker.install(FakeModule(), FakeClient(tmp_path / "home"), str(src), "0" * 64)
    assert failed.value.args[0]["field"] == "sha256"
    assert "refusing" in failed.value.args[0]["msg"]
    assert not (tmp_path / "home").exists()
