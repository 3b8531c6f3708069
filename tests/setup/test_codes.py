"""The codes that ``aiida-lps setup`` creates: replaced when their environment changes, pw.x not pinned to a core."""
import os
import shutil
import subprocess

import pytest

from aiida_lps.setup.profile import OPENMPI_PREPEND, code_specs, ensure_codes


@pytest.mark.skipif(shutil.which('mpirun', path='/usr/bin') is None or (os.cpu_count() or 1) < 2,
                    reason="needs Debian's OpenMPI mpirun (quantum-espresso) and at least 2 cores")
def test_single_rank_pw_runs_are_not_bound_to_one_core():
    """Several 1-rank pw.x jobs run at once on localhost: each must be free to use every core."""
    script = f"{OPENMPI_PREPEND}; mpirun -np 1 python3 -c 'import os; print(len(os.sched_getaffinity(0)))'"
    result = subprocess.run(['bash', '-c', script], capture_output=True, text=True, check=True)
    assert int(result.stdout.split()[-1]) == len(os.sched_getaffinity(0))


def test_a_code_with_another_environment_is_relabelled_and_replaced(aiida_computer_local):
    from aiida.orm import InstalledCode, load_code

    computer = aiida_computer_local()  # a computer of its own: no test's codes on it
    spec = code_specs()['pw']
    old = InstalledCode(computer=computer, label='pw', filepath_executable=spec['filepath_executable'],
                        default_calc_job_plugin=spec['default_calc_job_plugin'],
                        prepend_text='export PATH=/usr/bin:$PATH')
    old.store()
    lines = ensure_codes(computer)
    assert f'code pw@{computer.label} pointed at {spec["filepath_executable"]} with ' in lines[0]
    assert load_code(f'pw@{computer.label}').prepend_text == OPENMPI_PREPEND
    assert load_code(f'pw-stale-{old.pk}@{computer.label}').uuid == old.uuid
    assert all(line.endswith('unchanged') for line in ensure_codes(computer))
