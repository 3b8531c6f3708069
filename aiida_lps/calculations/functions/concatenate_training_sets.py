"""Calcfunction: one ``TrainingSetData`` from several, so that every growth step of a training set is in provenance."""
import re

from aiida.engine import calcfunction

from aiida_lps.data.training_set import TrainingSetData

_KEY = re.compile(r'set_(\d+)')


def _position(key: str) -> int:
    match = _KEY.fullmatch(key)
    if match is None:
        raise ValueError(f'inputs must be named set_0, set_1, ... (their concatenation order), got {key!r}')
    return int(match.group(1))


@calcfunction
def concatenate_training_sets(**training_sets: TrainingSetData) -> TrainingSetData:
    """The configurations, labels and tags of ``set_0``, ``set_1``, ... in that order."""
    frames, tags = [], []
    for key in sorted(training_sets, key=_position):
        frames.extend(training_sets[key].to_atoms())
        tags.extend(training_sets[key].get_tags())
    return TrainingSetData.from_atoms(frames, tags=tags)


__all__ = ('concatenate_training_sets',)
