"""Calcfunction: Pearson similarity S_p of the Li environments of structures to reference crystals.

Wraps :func:`aiida_lps.analysis.fingerprints.similarity_to_references` (SOAP power spectra of the Li atoms in place
of the article's Chebyshev descriptors; mean and variance; standardised over the set; PCA to 10 components) and
:func:`aiida_lps.analysis.fingerprints.most_similar_reference` (S_p >= 0.4).
"""
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.fingerprints import SIMILARITY_THRESHOLD, most_similar_reference, similarity_to_references
from aiida_lps.structures.crystals import get_crystal

__all__ = ('li_environment_similarity',)


@calcfunction
def li_environment_similarity(reference_crystals: orm.List, **kwargs) -> orm.Dict:
    """S_p of every ``structure_<label>`` that contains Li to every crystal of ``reference_crystals`` (names in
    :mod:`aiida_lps.structures.crystals`, static cells), fitted together as one data set.

    :return: ``structures``: label -> ``similarity`` (crystal -> S_p) and ``most_similar`` (a crystal, or None when
        no S_p reaches the threshold); ``references``; ``threshold``; ``without_li`` (labels left out).
    """
    names = reference_crystals.get_list()
    frames = {key.removeprefix('structure_'): node.get_ase() for key, node in kwargs.items()
              if key.startswith('structure_')}
    with_li = sorted(label for label, atoms in frames.items() if 'Li' in atoms.get_chemical_symbols())
    similarity = similarity_to_references([frames[label] for label in with_li], [get_crystal(name) for name in names])
    best = most_similar_reference(similarity, SIMILARITY_THRESHOLD)
    return orm.Dict({
        'structures': {
            label: {'similarity': dict(zip(names, map(float, row))),
                    'most_similar': names[index] if index >= 0 else None}
            for label, row, index in zip(with_li, similarity, best)
        },
        'references': names,
        'threshold': SIMILARITY_THRESHOLD,
        'without_li': sorted(set(frames) - set(with_li)),
    })
