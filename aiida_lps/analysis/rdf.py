"""Partial radial distribution functions g_ab(r) and running coordination numbers n_ab(r).

For species a and b in a periodic cell of volume V with N_a and N_b atoms,

    g_ab(r) = V / (N_a N_b) * <number of (i in a, j in b, i != j) pairs with |r_ij| in the shell> / dV,

with dV = 4 pi / 3 ((r + dr)^3 - r^3) the exact shell volume, so that g_ab = g_ba, g -> 1 for an
ideal gas (up to 1 - 1/N_a for a = b, the missing self pair) and sum_ab c_a c_b g_ab = g. This is
the normalisation of ``ase.geometry.rdf.get_rdf(..., elements=(a, b))`` (ASE >= 3.27, consistent with
LAMMPS ``compute rdf``), so the two agree without any factor. Distances use all periodic images
(``ase.neighborlist``), so r_max is not limited to half the cell. The running coordination number
n_ab(r) = 4 pi rho_b int_0^r g_ab(r') r'^2 dr' (rho_b = N_b / V) is the mean number of b atoms
within r of an a atom (Allen & Tildesley, Computer Simulation of Liquids, 2nd ed., 2017, §2.6).

Averages: over the frames of a trajectory (time) :func:`partial_rdfs` takes the mean of the per-frame
g_ab; over structures (ensemble) :func:`average_partial_rdfs` takes the mean of their curves.
"""

from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Sequence

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list


@dataclass(frozen=True)
class PartialRDF:
    """Partial RDFs on a common grid.

    :param bin_edges: (n_bins + 1,) Angstrom, from 0 to r_max.
    :param g: (a, b) -> (n_bins,) g_ab, dimensionless; pairs with a <= b alphabetically.
    :param number_densities: species -> mean number density N / V, 1/Angstrom^3.
    """

    bin_edges: np.ndarray
    g: dict
    number_densities: dict

    @property
    def r(self) -> np.ndarray:
        """(n_bins,) bin centres, Angstrom."""
        return 0.5 * (self.bin_edges[1:] + self.bin_edges[:-1])

    def pair(self, first: str, second: str) -> np.ndarray:
        """g_ab of species ``first`` and ``second`` in either order, (n_bins,)."""
        return self.g[tuple(sorted((first, second)))]


def _shell_volumes(bin_edges: np.ndarray) -> np.ndarray:
    return 4.0 / 3.0 * np.pi * np.diff(bin_edges**3)


def _frame_partial_rdfs(atoms: Atoms, bin_edges: np.ndarray, pairs: list) -> dict:
    first, second, distances = neighbor_list('ijd', atoms, bin_edges[-1])
    symbols = np.array(atoms.get_chemical_symbols())
    volume = atoms.get_volume()
    shell_volumes = _shell_volumes(bin_edges)
    g = {}
    for a, b in pairs:
        n_a, n_b = np.count_nonzero(symbols == a), np.count_nonzero(symbols == b)
        selected = (symbols[first] == a) & (symbols[second] == b)
        counts = np.histogram(distances[selected], bins=bin_edges)[0]
        g[(a, b)] = counts * volume / (n_a * n_b * shell_volumes)
    return g


def partial_rdfs(frames: Sequence[Atoms] | Atoms, r_max: float, n_bins: int) -> PartialRDF:
    """g_ab(r) for every pair of species, averaged over the frames (time average).

    :param frames: one periodic structure or the frames of one trajectory (same species in each).
    :param r_max: largest distance, Angstrom.
    :param n_bins: number of bins of width r_max / n_bins.
    """
    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    species = sorted(set(frames[0].get_chemical_symbols()))
    if any(sorted(set(frame.get_chemical_symbols())) != species for frame in frames):
        raise ValueError('all frames must contain the same species; average different structures with '
                         'average_partial_rdfs instead')
    pairs = list(combinations_with_replacement(species, 2))
    bin_edges = np.linspace(0.0, r_max, n_bins + 1)
    per_frame = [_frame_partial_rdfs(frame, bin_edges, pairs) for frame in frames]
    g = {pair: np.mean([frame_g[pair] for frame_g in per_frame], axis=0) for pair in pairs}
    densities = {
        element: float(np.mean([frame.get_chemical_symbols().count(element) / frame.get_volume() for frame in frames]))
        for element in species
    }
    return PartialRDF(bin_edges, g, densities)


def average_partial_rdfs(rdfs: Sequence[PartialRDF]) -> PartialRDF:
    """Mean of the partial RDFs of several structures (ensemble average), on their common grid.

    :param rdfs: results of :func:`partial_rdfs` with identical bins and species.
    """
    reference = rdfs[0]
    for rdf in rdfs[1:]:
        if not np.array_equal(rdf.bin_edges, reference.bin_edges) or rdf.g.keys() != reference.g.keys():
            raise ValueError('the RDFs to average need the same bins (r_max, n_bins) and species')
    g = {pair: np.mean([rdf.g[pair] for rdf in rdfs], axis=0) for pair in reference.g}
    densities = {element: float(np.mean([rdf.number_densities[element] for rdf in rdfs]))
                 for element in reference.number_densities}
    return PartialRDF(reference.bin_edges, g, densities)


def coordination_number(rdf: PartialRDF, centre: str, neighbour: str) -> np.ndarray:
    """Running coordination number n_ab(r) = 4 pi rho_b int_0^r g_ab r'^2 dr' at the bin upper edges.

    :param rdf: partial RDFs.
    :param centre: species a of the central atoms.
    :param neighbour: species b counted around them.
    :return: (n_bins,) mean number of b within ``rdf.bin_edges[1:]`` of an a atom.
    """
    density = rdf.number_densities[neighbour]
    return np.cumsum(density * rdf.pair(centre, neighbour) * _shell_volumes(rdf.bin_edges))
