"""Calcfunction: a ``TrainingSetData`` from frames of a pw.x MD run, labelled by the run itself (no new DFT)."""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.calculations.functions.join_pw_md_segments import SEGMENT_PREFIX
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.sampling.md_segments import strided_production_frames
from aiida_lps.structures.labels import labelled_atoms

__all__ = ('pw_md_label_inputs', 'training_set_from_pw_md')


@calcfunction
def training_set_from_pw_md(plan: orm.Dict, stride_steps: orm.Int, tags: orm.Dict = None,
                            **trajectories: orm.TrajectoryData) -> TrainingSetData:
    """Every ``stride_steps``-th production frame of a ``PwMdWorkChain`` with the energy (eV), forces (eV/Angstrom)
    and, when pw.x computed it for every step, stress (GPa) pw.x computed there
    (``aiida_lps.sampling.md_segments.strided_production_frames``).

    :param plan: the run's plan (``segments``: label, kept, stage, first_step), the input of its ``join_segments``.
    :param stride_steps: MD steps between chosen frames.
    :param tags: added to every configuration's tags, next to ``label`` (``step_<MD step>``), ``md_step`` and
        ``source: dft``.
    :param trajectories: ``trajectory_<label>``: the ``output_trajectory`` of each pw.x run of the plan.
    """
    common = tags.get_dict() if tags is not None else {}
    frames, frame_tags = [], []
    for label, index, step in strided_production_frames(plan['segments'], stride_steps.value):
        trajectory = trajectories[SEGMENT_PREFIX[0] + label]
        arrays = trajectory.get_arraynames()
        stress = trajectory.get_array('stress') if 'stress' in arrays else None
        atoms = trajectory.get_step_structure(index).get_ase()
        frames.append(labelled_atoms(
            atoms, energy=trajectory.get_array('energy')[index], forces=trajectory.get_array('forces')[index],
            stress_GPa=stress[index] if stress is not None and len(stress) == trajectory.numsteps else None))
        frame_tags.append({**common, 'label': f'step_{step}', 'md_step': step, 'source': 'dft'})
    return TrainingSetData.from_atoms(frames, tags=frame_tags)


def pw_md_label_inputs(workflow: orm.WorkflowNode, stride_steps: int) -> dict:
    """The inputs of :func:`training_set_from_pw_md` for a ``PwMdWorkChain`` with a ``trajectory`` output: the plan
    its ``join_segments`` took, ``stride_steps`` and the ``output_trajectory`` of each pw.x run a chosen frame comes
    from, so that the labels lead to the ``PwMdCalculation`` that computed them (and to no other)."""
    join = workflow.outputs.trajectory.creator
    plan = join.base.links.get_incoming(link_label_filter='plan').one().node
    labels = {label for label, _, _ in strided_production_frames(plan['segments'], stride_steps)}
    trajectories = {SEGMENT_PREFIX[0] + label: join.base.links.get_incoming(
        link_label_filter=SEGMENT_PREFIX[0] + label).one().node for label in labels}
    return {'plan': plan, 'stride_steps': orm.Int(stride_steps), **trajectories}
