"""The production path: a PostgreSQL + RabbitMQ profile, `verdi daemon` with 2 workers, a restart mid-run.

Skipped with the reason when PostgreSQL or RabbitMQ is not reachable (``daemon_services``, which makes and removes
the throwaway database and profile).
"""
from collections import Counter

import pytest
from aiida import orm
from aiida.engine import submit
from daemon_services import UNREACHABLE, verdi, wait_for
from li2s_cells import FIXED_OCCUPATIONS, li2s

PW_PROCESS_TYPE = 'aiida.calculations:quantumespresso.pw'
pytestmark = [
    pytest.mark.requires_codes,
    pytest.mark.skipif(bool(UNREACHABLE), reason=f'services not reachable: {", ".join(UNREACHABLE)}'),
]


def pw_calculations() -> list[orm.CalcJobNode]:
    return orm.QueryBuilder().append(orm.CalcJobNode, filters={'process_type': PW_PROCESS_TYPE}).all(flat=True)


def test_daemon_runs_workflows_across_a_restart_without_duplicates(daemon_profile, tmp_path, morse_labelled_frames):
    from aiida_lps.calculations.gap_fit import GapFitCalculation
    from aiida_lps.data.training_set import TrainingSetData
    from aiida_lps.potentials.gap import GAP_PRESETS
    from aiida_lps.setup.profile import ensure_codes, ensure_computer
    from aiida_lps.setup.quantum_espresso import PSEUDO_FAMILY_LABEL, ensure_pseudo_family
    from aiida_lps.workflows.labelling import DftLabellingWorkChain

    name = daemon_profile.name
    computer, _ = ensure_computer(work_dir=str(tmp_path / 'work'))
    computer.set_minimum_job_poll_interval(1)
    ensure_codes(computer)
    ensure_pseudo_family()
    assert orm.load_group(PSEUDO_FAMILY_LABEL).count() == 3

    verdi('-p', name, 'daemon', 'start', '2')
    structures = {f'li2s_{seed}': li2s(seed) for seed in (1, 2, 3)}
    submitted = [
        submit(DftLabellingWorkChain.get_builder_from_protocol(
            orm.load_code('pw@localhost'), {label: structure}, protocol='fast', overrides=FIXED_OCCUPATIONS))
        for label, structure in structures.items()
    ]
    submitted.append(submit(
        GapFitCalculation, code=orm.load_code('gap_fit@localhost'), parameters=orm.Dict(GAP_PRESETS['fast']),
        training_set=TrainingSetData.from_atoms(morse_labelled_frames(count=6)),
    ))

    # stop the daemon while pw.x runs, then start it again: the workers pick the processes up from checkpoints
    def a_pw_job_runs():
        return any(calculation.get_job_id() and not calculation.is_terminated for calculation in pw_calculations())

    wait_for(a_pw_job_runs, 'a pw.x job start', name)
    verdi('-p', name, 'daemon', 'stop')
    # runs not yet handed to the scheduler when the daemon stopped have no job to keep
    interrupted = {calculation.uuid: calculation.get_job_id() for calculation in pw_calculations()
                   if not calculation.is_terminated and calculation.get_job_id()}
    assert interrupted, 'every pw.x run finished before the daemon stopped: nothing was interrupted'
    verdi('-p', name, 'daemon', 'start', '2')
    wait_for(lambda: all(node.is_terminated for node in submitted), 'all processes finishing', name)

    for node in submitted:
        assert node.exit_status == 0, f'{node.process_label}<{node.pk}>: {node.exit_status} {node.exit_message}'
    # every structure was labelled by exactly one pw.x run, and the interrupted runs kept their scheduler jobs
    per_structure = Counter(calculation.inputs.structure.uuid for calculation in pw_calculations())
    assert per_structure == Counter({structure.uuid: 1 for structure in structures.values()})
    for uuid, job_id in interrupted.items():
        calculation = orm.load_node(uuid)
        assert calculation.is_finished_ok and calculation.get_job_id() == job_id
    for node, label in zip(submitted, structures):
        assert node.outputs.training_set.get_tags() == [{'label': label, 'source': 'dft'}]
