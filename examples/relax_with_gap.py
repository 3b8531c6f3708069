"""Relax the positions of a rattled gamma-Li3PS4 cell with the newest GAP in the profile.

Run: verdi run examples/relax_with_gap.py
"""
from aiida import orm

from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.calculations.functions.relax_with_potential import relax_with_potential
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.crystals import get_crystal

potential = orm.QueryBuilder().append(GapPotentialData, tag='gap').order_by({'gap': {'ctime': 'desc'}}).first(flat=True)
if potential is None:
    raise SystemExit('no GapPotentialData in this profile: run `aiida-lps quickstart` first')
rattled = perturbed_structures(
    orm.StructureData(ase=get_crystal('gamma-Li3PS4')), orm.Int(1), orm.Float(0.15), orm.Float(0.0), orm.Int(5)
)['structure_0']
outcome = relax_with_potential(potential, rattled, orm.Float(0.1), orm.Int(200))
print(f'relaxed StructureData<{outcome["structure"].pk}>: {outcome["result"].get_dict()}')
