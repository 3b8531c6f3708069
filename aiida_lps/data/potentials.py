"""The potential data types that the calcfunctions and CalcJobs driving a potential accept."""
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.pod_potential import PodPotentialData
from aiida_lps.data.snap_potential import SnapPotentialData

__all__ = ('PotentialData', 'POTENTIAL_TYPES')

#: Annotation of a calcfunction input that takes any potential (AiiDA infers the port's ``valid_type`` from it).
PotentialData = GapPotentialData | SnapPotentialData | PodPotentialData
#: The same types as a tuple, for ``spec.input(..., valid_type=POTENTIAL_TYPES)``.
POTENTIAL_TYPES = (GapPotentialData, SnapPotentialData, PodPotentialData)
