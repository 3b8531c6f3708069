"""Calcfunction: a ``TrainingSetData`` from converged pw.x single points."""
from aiida.engine import calcfunction

from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.structures.labels import labelled_atoms


@calcfunction
def training_set_from_pw(**kwargs) -> TrainingSetData:
    """Combine ``structure_<label>``, ``parameters_<label>`` (pw output_parameters, energy in eV) and
    ``trajectory_<label>`` (pw output_trajectory: forces in eV/Angstrom, stress in GPa) for every label.

    An optional ``tags`` Dict is added to every configuration's tags, next to ``label`` and ``source: dft``.
    """
    common = kwargs.pop('tags').get_dict() if 'tags' in kwargs else {}
    labels = sorted(key.removeprefix('structure_') for key in kwargs if key.startswith('structure_'))
    frames, tags = [], []
    for label in labels:
        trajectory = kwargs[f'trajectory_{label}']
        stress = trajectory.get_array('stress')[-1] if 'stress' in trajectory.get_arraynames() else None
        frames.append(
            labelled_atoms(
                kwargs[f'structure_{label}'].get_ase(),
                energy=kwargs[f'parameters_{label}']['energy'],
                forces=trajectory.get_array('forces')[-1],
                stress_GPa=stress,
            )
        )
        tags.append({**common, 'label': label, 'source': 'dft'})
    return TrainingSetData.from_atoms(frames, tags=tags)


__all__ = ('training_set_from_pw',)
