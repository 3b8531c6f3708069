"""A real one-node cluster on this machine, for testing the cluster path: SLURM (slurmctld + slurmd, with munge)
and an SSH server on 127.0.0.1 that accepts a key made here.

Debian's ``slurm-wlm``, ``munge`` and ``openssh-server`` are installed when missing (as root). Everything else lives
in one folder (default :data:`DEFAULT_FOLDER`): the munge key, the SSH host and client keys, ``slurm.conf``,
``sshd_config``, spool and state directories, logs and pid files. Nothing in ``/etc`` is changed: the daemons read
their configuration from that folder, and the SSH server gives every session ``SLURM_CONF`` so that ``sbatch``,
``squeue`` and ``scancel`` run over SSH find it. :func:`start` starts only what is not running and returns what it
started; :func:`stop` stops those daemons by their pid files, so SLURM holds no CPUs once the tests are done.

Run by hand: ``python -m aiida_lps.setup.cluster start|stop|status``.
"""
from __future__ import annotations

import dataclasses
import getpass
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

from aiida_lps.setup.quantum_espresso import apt_install, missing_debian_packages

__all__ = ('Cluster', 'ClusterUnavailable', 'ensure_computer', 'ensure_packages', 'start', 'stop')

DEBIAN_PACKAGES = ('slurm-wlm', 'munge', 'openssh-server')
DEFAULT_FOLDER = pathlib.Path('/var/lib/aiida-lps/cluster')
#: TCP ports on 127.0.0.1 (SLURM's defaults for its two daemons).
PORTS = {'slurmctld': 6817, 'slurmd': 6818, 'sshd': 2222}
#: Daemons in start order.
DAEMONS = ('munged', 'slurmctld', 'slurmd', 'sshd')
#: Seconds a daemon may take to answer after it was started.
READY_TIMEOUT_S = 60

SLURM_CONF = """# written by aiida_lps.setup.cluster: one node, this machine, for tests
ClusterName=aiida-lps-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={slurmctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge/munge.socket
StateSaveLocation={folder}/slurmctld
SlurmdSpoolDir={folder}/slurmd
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/log/slurmctld.log
SlurmdLogFile={folder}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
SchedulerType=sched/backfill
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""

SSHD_CONFIG = """# written by aiida_lps.setup.cluster: key-only logins on 127.0.0.1, for tests
# (StrictModes off: the folder may be under /tmp, whose sticky world-writable mode sshd would refuse)
ListenAddress 127.0.0.1
Port {sshd_port}
HostKey {folder}/ssh/host_ed25519_key
AuthorizedKeysFile {folder}/ssh/authorized_keys
PidFile {folder}/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
SetEnv SLURM_CONF={folder}/slurm.conf
Subsystem sftp internal-sftp
"""


class ClusterUnavailable(RuntimeError):
    """The test cluster cannot run on this machine; the message says why and what would make it possible."""


@dataclasses.dataclass(frozen=True)
class Cluster:
    """The test cluster in ``folder``: its SLURM node and the SSH login (``user`` with ``key_file``, Ed25519)."""

    folder: pathlib.Path
    node: str
    cpus: int
    memory_mb: int

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> Cluster:
        """The cluster whose files are in ``folder``, for finding its daemons (node and sizes unknown)."""
        return cls(pathlib.Path(folder).resolve(), '', 0, 0)

    @property
    def slurm_conf(self) -> pathlib.Path:
        return self.folder / 'slurm.conf'

    @property
    def key_file(self) -> pathlib.Path:
        return self.folder / 'ssh' / 'id_ed25519'

    @property
    def user(self) -> str:
        return getpass.getuser()

    @property
    def ssh_port(self) -> int:
        return PORTS['sshd']

    def environment(self) -> dict[str, str]:
        """This process's environment with ``SLURM_CONF``, for running ``squeue``/``scancel`` here."""
        return {**os.environ, 'SLURM_CONF': str(self.slurm_conf)}

    def pid_file(self, daemon: str) -> pathlib.Path:
        return self.folder / (f'munge/{daemon}.pid' if daemon == 'munged' else f'{daemon}.pid')


def ensure_packages() -> str:
    """Install ``slurm-wlm``, ``munge`` and ``openssh-server`` when missing; return a status line.

    :raises ClusterUnavailable: not a Debian system, or packages missing and this process is not root.
    """
    if shutil.which('dpkg-query') is None or shutil.which('apt-get') is None:
        raise ClusterUnavailable('no dpkg/apt-get: the test cluster needs Debian packages '
                                 f'({", ".join(DEBIAN_PACKAGES)})')
    missing = missing_debian_packages(DEBIAN_PACKAGES)
    if not missing:
        return 'Debian packages present: ' + ', '.join(DEBIAN_PACKAGES)
    if os.geteuid() != 0:
        raise ClusterUnavailable(f'missing Debian packages; as root run: apt-get install -y '
                                 f'{" ".join(missing)}')
    try:
        apt_install(missing)
    except subprocess.CalledProcessError as exception:
        raise ClusterUnavailable(f'apt-get could not install {", ".join(missing)} ({exception})') from exception
    return 'installed Debian packages: ' + ', '.join(missing)


def configure(folder: str | os.PathLike = DEFAULT_FOLDER) -> Cluster:
    """Write the keys (once) and the configuration of the test cluster into ``folder``; return the cluster.

    :raises ClusterUnavailable: when not root (the SLURM daemons and sshd run as root here).
    """
    if os.geteuid() != 0:
        raise ClusterUnavailable('the test cluster runs slurmctld, slurmd and sshd as root: run the tests as root')
    folder = pathlib.Path(folder).resolve()
    memory_mb = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**20
    cluster = Cluster(folder, socket.gethostname().split('.')[0], os.cpu_count() or 1, int(0.9 * memory_mb))
    for name in ('munge', 'ssh', 'slurmctld', 'slurmd', 'log'):
        (folder / name).mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o755)  # sshd and munged refuse keys in group- or world-writable folders
    munge_key = folder / 'munge' / 'munge.key'
    if not munge_key.exists():
        munge_key.touch(mode=0o600)
        munge_key.write_bytes(os.urandom(128))
    for key in (folder / 'ssh' / 'host_ed25519_key', cluster.key_file):
        if not key.exists():
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'aiida-lps-test-cluster',
                            '-f', str(key)], check=True)
    public_key = cluster.key_file.with_suffix('.pub').read_text()
    (folder / 'ssh' / 'authorized_keys').write_text(public_key)
    settings = {'folder': folder, 'node': cluster.node, 'cpus': cluster.cpus, 'memory_mb': cluster.memory_mb,
                **{f'{daemon}_port': port for daemon, port in PORTS.items()}}
    cluster.slurm_conf.write_text(SLURM_CONF.format(**settings))
    (folder / 'sshd_config').write_text(SSHD_CONFIG.format(**settings))
    return cluster


def running(cluster: Cluster, daemon: str) -> int | None:
    """The pid of ``daemon`` of ``cluster`` when its pid file names a live process whose command line is that daemon's
    with this cluster's folder (a stale pid file may name an unrelated process by now), else None."""
    try:
        pid = int(cluster.pid_file(daemon).read_text().split()[0])
        command = pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\0', b' ').decode()
    except (OSError, ValueError, IndexError):
        return None
    return pid if daemon in command and str(cluster.folder) in command else None


def start(folder: str | os.PathLike = DEFAULT_FOLDER) -> tuple[Cluster, list[str]]:
    """Install (if needed), configure and start munged, slurmctld, slurmd and sshd; wait until the node is idle
    and SSH answers. Return the cluster and the daemons started now (those already running are left alone).

    :raises ClusterUnavailable: when it cannot run here (see :func:`ensure_packages` and :func:`configure`), a port
        is taken by another program, or a daemon does not come up (with its log's tail).
    """
    ensure_packages()
    cluster = configure(folder)
    started = []
    for daemon in DAEMONS:
        if running(cluster, daemon):
            continue
        port = PORTS.get(daemon)
        if port is not None and _port_open(port):
            raise ClusterUnavailable(f'port {port} on 127.0.0.1 is taken by another program, not by this cluster\'s '
                                     f'{daemon}: stop it, or change aiida_lps.setup.cluster.PORTS')
        _launch(cluster, daemon)
        started.append(daemon)
    _wait(lambda: _node_state(cluster) in ('idle', 'mixed', 'allocated'), 'the SLURM node to be idle', cluster)
    _wait(lambda: _port_open(PORTS['sshd']), 'sshd to listen', cluster)
    return cluster, started


def stop(folder: str | os.PathLike = DEFAULT_FOLDER, daemons=DAEMONS) -> list[str]:
    """Stop ``daemons`` of the cluster in ``folder`` (SIGTERM by pid file, in reverse start order); return those
    stopped. When slurmctld is among them, every job of the cluster is cancelled first (slurmstepd would outlive
    slurmd and keep running its job)."""
    cluster = Cluster.in_folder(folder)
    if 'slurmctld' in daemons and running(cluster, 'slurmctld'):
        _cancel_all_jobs(cluster)
    stopped = []
    for daemon in reversed(DAEMONS):
        pid = running(cluster, daemon) if daemon in daemons else None
        if pid is None:
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        stopped.append(daemon)
    return stopped


def _cancel_all_jobs(cluster: Cluster) -> None:
    """scancel every job of the cluster and wait until the queue is empty."""
    subprocess.run(['scancel', '--user', cluster.user], env=cluster.environment(), capture_output=True)
    _wait(lambda: not _queue(cluster), 'the cancelled jobs to leave the queue', cluster, 'slurmctld')


def _queue(cluster: Cluster) -> str:
    """squeue's job ids, one a line ('' when none or when squeue fails)."""
    result = subprocess.run(['squeue', '--noheader', '--format', '%i'], capture_output=True, text=True,
                            env=cluster.environment())
    return result.stdout.strip() if result.returncode == 0 else ''


def _launch(cluster: Cluster, daemon: str) -> None:
    """Start one daemon (each forks into the background and writes its pid file)."""
    folder = cluster.folder
    commands = {
        'munged': ['munged', '--force', f'--socket={folder}/munge/munge.socket',
                   f'--key-file={folder}/munge/munge.key', f'--pid-file={cluster.pid_file("munged")}',
                   f'--log-file={folder}/log/munged.log', f'--seed-file={folder}/munge/munged.seed'],
        'slurmctld': ['slurmctld', '-f', str(cluster.slurm_conf)],
        'slurmd': ['slurmd', '-f', str(cluster.slurm_conf)],
        'sshd': [shutil.which('sshd') or '/usr/sbin/sshd', '-f', str(folder / 'sshd_config')],
    }
    if daemon == 'sshd':
        pathlib.Path('/run/sshd').mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    result = subprocess.run(commands[daemon], capture_output=True, text=True, env=cluster.environment(),
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise ClusterUnavailable(f'{daemon} did not start (exit {result.returncode}): '
                                 f'{(result.stdout + result.stderr).strip()[-2000:]}{_log_tail(cluster, daemon)}')
    _wait(lambda: running(cluster, daemon), f'{daemon} to write its pid file', cluster, daemon)


def _node_state(cluster: Cluster) -> str:
    result = subprocess.run(['sinfo', '--noheader', '--nodes', cluster.node, '--format', '%T'], capture_output=True,
                            text=True, env=cluster.environment())
    return result.stdout.strip().rstrip('*~#') if result.returncode == 0 else ''


def _wait(condition, what: str, cluster: Cluster, daemon: str = 'slurmd') -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise ClusterUnavailable(f'waited {READY_TIMEOUT_S} s for {what}{_log_tail(cluster, daemon)}')
        time.sleep(0.5)


def _log_tail(cluster: Cluster, daemon: str) -> str:
    log = cluster.folder / 'log' / f'{daemon}.log'
    return f'\n{log}:\n{log.read_text()[-1500:]}' if log.exists() else ''


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
    except OSError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def ensure_computer(cluster: Cluster, label: str, work_dir: str):
    """The AiiDA computer ``label`` for ``cluster``: ``core.ssh`` to 127.0.0.1 with the cluster's key and
    ``core.slurm``, working in ``work_dir``; created and configured when missing. Return ``(computer, status)``."""
    from aiida.common.exceptions import NotExistent
    from aiida.orm import Computer, User

    try:
        computer = Computer.collection.get(label=label)
        status = f'computer {label} exists'
    except NotExistent:
        computer = Computer(label=label, hostname='127.0.0.1', description='one-node SLURM on this machine, over SSH',
                            transport_type='core.ssh', scheduler_type='core.slurm', workdir=work_dir).store()
        computer.set_mpirun_command(['mpirun', '-np', '{tot_num_mpiprocs}'])
        computer.set_default_mpiprocs_per_machine(cluster.cpus)
        computer.set_default_memory_per_machine(cluster.memory_mb * 1024)
        status = f'created computer {label}'
    if not computer.is_user_configured(User.collection.get_default()):
        computer.configure(username=cluster.user, port=cluster.ssh_port, key_filename=str(cluster.key_file),
                           look_for_keys=False, allow_agent=False, key_policy='AutoAddPolicy', safe_interval=0.0)
        status += ', configured'
    return computer, status


def main(argv: list[str]) -> int:
    """``python -m aiida_lps.setup.cluster start|stop|status [FOLDER]``."""
    if not argv or argv[0] not in ('start', 'stop', 'status'):
        print(main.__doc__)
        return 2
    folder = argv[1] if len(argv) > 1 else DEFAULT_FOLDER
    if argv[0] == 'stop':
        print('stopped: ' + (', '.join(stop(folder)) or 'nothing was running'))
        return 0
    if argv[0] == 'status':
        cluster = Cluster.in_folder(folder)
        for daemon in DAEMONS:
            pid = running(cluster, daemon)
            print(f'{daemon}: {f"running, pid {pid}" if pid else "stopped"}')
        return 0
    try:
        cluster, started = start(folder)
    except ClusterUnavailable as exception:
        print(f'test cluster unavailable: {exception}')
        return 1
    print(f'started: {", ".join(started) or "nothing (all running)"}; node {cluster.node} ({cluster.cpus} CPUs); '
          f'ssh -p {cluster.ssh_port} -i {cluster.key_file} {cluster.user}@127.0.0.1; SLURM_CONF={cluster.slurm_conf}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
