"""The test cluster of this machine (SLURM + sshd, :mod:`aiida_lps.setup.cluster`) for the tests of this folder, and
an AiiDA computer on it (``core.ssh`` to 127.0.0.1, ``core.slurm``) with the project's codes, checked there."""
import pytest

SLURM_COMPUTER = 'slurm-test'


@pytest.fixture(scope='package')
def slurm_cluster():
    """The running test cluster; the daemons started here are stopped after the last test of this folder, so SLURM
    holds nothing during the rest of the suite (skipped with the reason when the cluster cannot run here: not root,
    no apt, a port taken)."""
    from aiida_lps.setup import cluster

    try:
        handle, started = cluster.start()
    except cluster.ClusterUnavailable as exception:
        pytest.skip(f'test cluster unavailable: {exception}')
    yield handle
    cluster.stop(handle.folder, started)


@pytest.fixture(scope='package')
def slurm_computer_factory(slurm_cluster, aiida_profile, tmp_path_factory):
    """Factory: the computer ``label`` on the test cluster, with its own remote work directory."""
    from aiida_lps.setup.cluster import ensure_computer

    def factory(label: str):
        computer, _ = ensure_computer(slurm_cluster, label, str(tmp_path_factory.mktemp(f'{label}-work')))
        computer.set_minimum_job_poll_interval(1)  # seconds between squeue calls: tiny jobs
        return computer

    return factory


@pytest.fixture(scope='package')
def slurm_code(slurm_computer_factory):
    """Factory: the project's code ``name`` (``pw``, ``gap_fit`` or ``lmp``) on ``slurm-test``, checked there."""
    from aiida.orm import load_code

    from aiida_lps.setup.remote_codes import ensure_remote_codes, remote_code_specs

    computer = slurm_computer_factory(SLURM_COMPUTER)
    _, problems = ensure_remote_codes(computer, remote_code_specs())
    assert not problems, problems

    def factory(name: str):
        return load_code(f'{name}@{SLURM_COMPUTER}')

    return factory
