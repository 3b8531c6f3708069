"""Antifluorite Li2S cells (3 atoms, closed shell) for real pw.x runs in the tests, and the setting they need."""
from ase import Atoms
from ase.build import bulk

#: Quantum ESPRESSO settings for the closed-shell Li2S cells (no smearing needed).
FIXED_OCCUPATIONS = {'pw_base': {'pw': {'parameters': {'SYSTEM': {'occupations': 'fixed'}}}}}


def li2s_atoms(seed: int | None = None) -> Atoms:
    """Li2S at a = 5.71 Angstrom; with a seed strained by 1 % per seed unit and rattled (0.05 Angstrom)."""
    atoms = bulk('SLi2', 'fluorite', a=5.71)
    if seed is not None:
        atoms.set_cell(atoms.cell * (1.0 + 0.01 * seed), scale_atoms=True)
        atoms.rattle(0.05, seed=seed)
    return atoms


def li2s(seed: int | None = None):
    """:func:`li2s_atoms` as a ``StructureData``."""
    from aiida import orm

    return orm.StructureData(ase=li2s_atoms(seed))
