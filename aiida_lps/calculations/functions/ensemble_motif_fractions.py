"""Calcfunction: thiophosphate motif fractions (by P) of every structure of an ensemble, by both assignments.

``by_distance`` is the thesis metric (§6.2.1, nearest P-P < 2.5 A P2S6^4-, 2.5-4.5 A P2S7^4-, else PS4^3-),
``by_connectivity`` the bonded-anion analysis; both with the default cutoffs of
:mod:`aiida_lps.analysis.motifs`, whose docstring explains what each can and cannot tell apart.
"""
import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.motifs import (
    MOTIF_LABELS,
    assign_motifs_by_connectivity,
    assign_motifs_by_distance,
    motif_fractions,
)

__all__ = ('ASSIGNMENTS', 'ensemble_motif_fractions')

ASSIGNMENTS = {'by_distance': assign_motifs_by_distance, 'by_connectivity': assign_motifs_by_connectivity}
"""Name in the output Dict -> per-P motif assignment."""


@calcfunction
def ensemble_motif_fractions(**structures: orm.StructureData) -> orm.Dict:
    """Fractions of P in each motif of ``MOTIF_LABELS``, per structure and as ensemble mean and standard deviation.

    :return: Dict with ``structures`` (label -> ``n_phosphorus`` and, per assignment, motif -> fraction),
        ``mean`` and ``std`` (assignment -> motif -> fraction over the structures).
    """
    per_structure = {}
    for label, structure in sorted(structures.items()):
        atoms = structure.get_ase()
        per_structure[label] = {'n_phosphorus': atoms.get_chemical_symbols().count('P')}
        per_structure[label].update({name: motif_fractions(assign(atoms)) for name, assign in ASSIGNMENTS.items()})
    statistics = {
        statistic: {name: {motif: float(reduce([entry[name][motif] for entry in per_structure.values()]))
                           for motif in MOTIF_LABELS}
                    for name in ASSIGNMENTS}
        for statistic, reduce in (('mean', np.mean), ('std', np.std))
    }
    return orm.Dict({'structures': per_structure, **statistics})
