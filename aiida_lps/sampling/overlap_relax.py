"""A geometry cleaner for tests and examples of the glass sampling: units pushed out of contact.

This is NOT a model of Li thiophosphates. Its energy is zero for every structure in which atoms of
different units are at least a contact distance apart and every unit has its template geometry; it
has no attraction, no charges and no chemistry. It stands in for the GAP relaxation of the thesis
(§5.3: BFGS, fmax 3 eV/A) where a cheap, deterministic ``relax(atoms) -> atoms`` is needed.

Energy, with d the (periodic) distance between atoms i and j:

- different units, d < d0_ab: (k_contact / 2) (d0_ab - d)^2, a soft repulsion;
- same unit: (k_unit / 2) (d - d_ref)^2 with d_ref taken from the template coordinates in
  ``atoms.arrays[TEMPLATE_POSITIONS_ARRAY]``, stiff springs that keep each unit at its template
  geometry (an elastic-network model of a rigid body; exactly rigid constraints, SHAKE through
  :class:`ase.constraints.FixBondLengths`, were about 50 times slower for these over-constrained
  units).

Contact distances d0 (Angstrom) are 80-95 % of the shortest distances between atoms of different
units in the PBE-relaxed beta-Li3PS4 and Li7P3S11 reference cells: S-S 3.34, P-S 3.89, P-P 4.95,
Li-S 2.39, Li-P 2.95, Li-Li 2.97 (gamma-Li3PS4: Li-S 2.27).
"""

from itertools import combinations

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.optimize import LBFGS
from scipy.spatial import cKDTree

from aiida_lps.sampling.glass import rigid_unit_offsets
from aiida_lps.structures.building_blocks import BLOCK_ID_ARRAY, TEMPLATE_POSITIONS_ARRAY

CONTACT_DISTANCES = {
    ('S', 'S'): 3.0,
    ('P', 'S'): 3.4,
    ('P', 'P'): 4.0,
    ('Li', 'S'): 2.2,
    ('Li', 'P'): 2.6,
    ('Li', 'Li'): 2.6,
}


def _unit_pairs(unit_ids: np.ndarray) -> np.ndarray:
    """All index pairs (n_pairs, 2) of atoms in the same unit."""
    pairs = [pair for unit in np.unique(unit_ids) for pair in combinations(np.flatnonzero(unit_ids == unit), 2)]
    return np.array(pairs, dtype=int).reshape(-1, 2)


def _orthorhombic_pairs(atoms: Atoms, cutoff: float):
    """Pairs i < j closer than ``cutoff`` (Angstrom) in a periodic orthorhombic cell.

    :return: first (n_pairs,), second (n_pairs,), minimum-image vectors r_j - r_i (n_pairs, 3), Angstrom.
    """
    cell = atoms.cell.array
    lengths = np.diag(cell)
    if not np.allclose(cell, np.diag(lengths)) or not atoms.pbc.all():
        raise ValueError('the overlap cleaner needs a periodic orthorhombic cell (sampled glasses have one)')
    if cutoff >= lengths.min() / 2:
        raise ValueError(f'the cell ({lengths.min():.2f} A) is too small for contact distances of {cutoff} A')
    positions = np.mod(atoms.positions, lengths)
    pairs = cKDTree(positions, boxsize=lengths).query_pairs(cutoff, output_type='ndarray')
    vectors = positions[pairs[:, 1]] - positions[pairs[:, 0]]
    vectors -= lengths * np.round(vectors / lengths)
    return pairs[:, 0], pairs[:, 1], vectors


def _harmonic_pair_forces(n_atoms, first, second, vectors, distances, stretch, stiffness):
    """Forces (n_atoms, 3), eV/A, of springs k/2 stretch^2 between ``first`` and ``second``.

    :param vectors: (n_pairs, 3) r_second - r_first, Angstrom.
    :param stretch: (n_pairs,) d - d_rest, Angstrom (negative: compressed, pushes apart).
    """
    pair_forces = (stiffness * stretch / distances)[:, None] * vectors
    forces = np.zeros((n_atoms, 3))
    np.add.at(forces, first, pair_forces)
    np.add.at(forces, second, -pair_forces)
    return forces


class OverlapCleaner(Calculator):
    """Soft repulsion between units closer than a contact distance plus stiff springs inside units.

    Units come from ``atoms.arrays[BLOCK_ID_ARRAY]`` and their rest geometry from
    ``atoms.arrays[TEMPLATE_POSITIONS_ARRAY]``; without them every atom is its own unit.

    :param contact_distances: (element, element) -> d0, Angstrom; both orders are accepted.
    :param contact_stiffness: k_contact, eV/Angstrom^2.
    :param unit_stiffness: k_unit, eV/Angstrom^2.
    """

    implemented_properties = ['energy', 'forces']

    def __init__(self, contact_distances: dict | None = None, contact_stiffness: float = 10.0,
                 unit_stiffness: float = 30.0, **kwargs):
        super().__init__(**kwargs)
        contact_distances = CONTACT_DISTANCES if contact_distances is None else contact_distances
        self.contact_distances = {**contact_distances, **{(b, a): d for (a, b), d in contact_distances.items()}}
        self.contact_stiffness = contact_stiffness
        self.unit_stiffness = unit_stiffness

    def _contact_terms(self, atoms: Atoms, unit_ids: np.ndarray):
        first, second, vectors = _orthorhombic_pairs(atoms, max(self.contact_distances.values()))
        distances = np.linalg.norm(vectors, axis=1)
        symbols = np.array(atoms.get_chemical_symbols())
        species, species_index = np.unique(symbols, return_inverse=True)
        table = np.array([[self.contact_distances[(a, b)] for b in species] for a in species])
        contact = table[species_index[first], species_index[second]]
        keep = (unit_ids[first] != unit_ids[second]) & (distances < contact)
        stretch = distances[keep] - contact[keep]
        forces = _harmonic_pair_forces(len(atoms), first[keep], second[keep], vectors[keep], distances[keep], stretch,
                                       self.contact_stiffness)
        return 0.5 * self.contact_stiffness * np.sum(stretch**2), forces

    def _unit_terms(self, atoms: Atoms, unit_ids: np.ndarray):
        pairs = _unit_pairs(unit_ids)
        if TEMPLATE_POSITIONS_ARRAY not in atoms.arrays or len(pairs) == 0:
            return 0.0, np.zeros((len(atoms), 3))
        template = atoms.arrays[TEMPLATE_POSITIONS_ARRAY]
        rest = np.linalg.norm(template[pairs[:, 1]] - template[pairs[:, 0]], axis=1)
        offsets = rigid_unit_offsets(atoms)[0]
        vectors = offsets[pairs[:, 1]] - offsets[pairs[:, 0]]
        distances = np.linalg.norm(vectors, axis=1)
        stretch = distances - rest
        forces = _harmonic_pair_forces(len(atoms), pairs[:, 0], pairs[:, 1], vectors, distances, stretch,
                                       self.unit_stiffness)
        return 0.5 * self.unit_stiffness * np.sum(stretch**2), forces

    def calculate(self, atoms=None, properties=('energy',), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        unit_ids = self.atoms.arrays.get(BLOCK_ID_ARRAY, np.arange(len(self.atoms)))
        contact_energy, contact_forces = self._contact_terms(self.atoms, unit_ids)
        unit_energy, unit_forces = self._unit_terms(self.atoms, unit_ids)
        self.results = {'energy': contact_energy + unit_energy, 'forces': contact_forces + unit_forces}


def relax_overlaps(atoms: Atoms, fmax: float = 0.1, max_steps: int = 200) -> Atoms:
    """Push units apart (L-BFGS) until the largest force is below ``fmax``, at fixed cell.

    :param atoms: periodic orthorhombic structure (units and templates as for :class:`OverlapCleaner`).
    :param fmax: eV/Angstrom; 0.1 eV/A leaves contacts violated by at most ~0.01 A (k_contact
        10 eV/A^2) and unit distances off their template by at most ~0.003 A (k_unit 30 eV/A^2).
    :param max_steps: optimiser steps at most; a jammed structure is returned as it is after them.
    :return: a relaxed copy without calculator.
    """
    relaxed = atoms.copy()
    relaxed.calc = OverlapCleaner()
    LBFGS(relaxed, logfile=None).run(fmax=fmax, steps=max_steps)
    relaxed.calc = None
    return relaxed
