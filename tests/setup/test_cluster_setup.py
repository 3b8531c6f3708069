"""The test cluster's set-up without starting it: idempotent configuration, and the reasons it cannot run."""
import os

import pytest

from aiida_lps.setup import cluster


@pytest.mark.skipif(os.geteuid() != 0, reason='configure() needs root')
def test_configuring_twice_keeps_the_keys_and_the_configuration(tmp_path):
    first = cluster.configure(tmp_path)
    files = {path: path.read_bytes() for path in tmp_path.rglob('*') if path.is_file()}
    second = cluster.configure(tmp_path)
    assert second == first
    assert {path: path.read_bytes() for path in tmp_path.rglob('*') if path.is_file()} == files
    assert f'SetEnv SLURM_CONF={tmp_path}/slurm.conf' in (tmp_path / 'sshd_config').read_text()
    assert f'CPUs={os.cpu_count()}' in first.slurm_conf.read_text()


def test_without_root_the_cluster_is_unavailable_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(os, 'geteuid', lambda: 1000)
    with pytest.raises(cluster.ClusterUnavailable, match='runs slurmctld, slurmd and sshd as root'):
        cluster.configure(tmp_path)
    monkeypatch.setattr(cluster, 'missing_debian_packages', lambda packages: ['munge'])
    with pytest.raises(cluster.ClusterUnavailable, match='as root run: apt-get install -y munge'):
        cluster.ensure_packages()


def test_without_apt_the_cluster_is_unavailable_with_the_reason(monkeypatch):
    monkeypatch.setattr(cluster.shutil, 'which', lambda name: None)
    with pytest.raises(cluster.ClusterUnavailable, match='no dpkg/apt-get'):
        cluster.ensure_packages()
