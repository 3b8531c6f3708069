"""Phase guard: which crystal phase an MD run ended in, judged from its partial RDFs.

An Arrhenius line describes one conduction mechanism in one phase. beta- and gamma-Li3PS4 turn into alpha
near 700 K (thesis section 6.1: the S-S RDF peak near 4.3 A of their hcp S sublattice vanishes in the bcc
alpha phase), so a high-temperature point of a beta run may be an alpha point. The guard compares the run's
partial RDF(s) (default S-S), averaged over the last ``LAST_FRACTION`` of the trajectory, with that of the
starting structure and of every other polymorph of the same composition in the crystal library
(:mod:`aiida_lps.structures.crystals`), and names the closest.

Comparison. Every RDF is computed on the same grid (:func:`aiida_lps.analysis.rdf.partial_rdfs`) and smoothed by a
Gaussian of width ``SMOOTHING_A`` (histogram noise). A reference is a static structure, scaled to the run's S
density (so that a change of volume is not taken for a change of phase) and broadened further by a thermal width w:
the distance of the run to a phase is the smallest RMS difference of g(r) on [0, r_max] over the widths
``THERMAL_WIDTHS_A`` (the run's own thermal broadening is not known in advance). The run ended in another phase
when that phase's distance is the smallest and smaller than the starting phase's by the factor ``CHANGE_MARGIN``
(near the melting point all broadened RDFs look alike, and a tie is no evidence of a transition); otherwise it
stayed in the starting phase. The starting phase is the library polymorph closest to the starting structure, which
counts as a crystal only when that distance is below ``CRYSTAL_MATCH_RATIO`` times the distance to the next
polymorph (a glass is about equally far from all). Compositions with a single phase in the library, and glasses,
are not judged (``None``).

References:
- thesis section 6.1 (SPEC section 5): beta/gamma -> alpha near 700 K, visible in the S-S RDF.
- K. Homma et al., Solid State Ionics 182, 53 (2011) (the Li3PS4 polymorphs).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import ase
import numpy as np
from scipy.ndimage import gaussian_filter1d

from aiida_lps.structures.crystals import get_crystal, list_crystals

from .rdf import partial_rdfs

__all__ = ('PhaseCheck', 'assess_phase', 'identify_phase', 'library_polymorphs', 'rdf_distances')

#: Species pairs whose RDFs are compared.
PHASE_PAIRS = (('S', 'S'),)
#: Largest distance of the RDFs, Angstrom.
R_MAX_A = 7.0
#: RDF bin width, Angstrom.
BIN_WIDTH_A = 0.05
#: The RDFs are computed this far beyond R_MAX_A before broadening, Angstrom (> 3 times the largest width).
REFERENCE_MARGIN_A = 2.0
#: Gaussian smoothing of every RDF (histogram noise), Angstrom.
SMOOTHING_A = 0.05
#: Thermal broadenings tried for each static reference, Angstrom (root-mean-square pair-distance spread).
THERMAL_WIDTHS_A = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
#: Fraction of the trajectory, at its end, whose frames are averaged.
LAST_FRACTION = 0.25
#: At most this many frames (evenly spaced) of that part enter the average.
MAX_FRAMES = 40
#: A structure is a crystal of its closest polymorph only when closer by this factor than to the next one.
CRYSTAL_MATCH_RATIO = 0.75
#: A run ended in another phase only when that phase is closer than the starting one by this factor.
CHANGE_MARGIN = 1.2


@dataclass(frozen=True)
class PhaseCheck:
    """Which phase an MD run ended in.

    :param starting_phase: library name of the starting structure's phase.
    :param final_phase: phase whose RDF is closest to the run's at its end, by the margin ``CHANGE_MARGIN``
        when it is not the starting phase.
    :param changed: True when ``final_phase`` differs from ``starting_phase``.
    :param distances: phase -> RMS distance of the run's RDF(s) to that phase's, dimensionless (g units).
    :param reason: one line with the numbers behind the verdict.
    """

    starting_phase: str
    final_phase: str
    changed: bool
    distances: dict
    reason: str


def library_polymorphs(symbols) -> list[str]:
    """Names of the library crystals with the reduced composition of ``symbols`` (e.g. the three Li3PS4)."""
    return list(_library_formulas().get(ase.Atoms(symbols).get_chemical_formula(empirical=True), ()))


@lru_cache(maxsize=1)
def _library_formulas() -> dict:
    """Reduced formula -> names of the library crystals with it."""
    formulas = {}
    for name in list_crystals():
        formulas.setdefault(get_crystal(name).get_chemical_formula(empirical=True), []).append(name)
    return {formula: tuple(names) for formula, names in formulas.items()}


def _rdf_curves(frames, pairs, thermal_widths_A=(0.0,)) -> np.ndarray:
    """Smoothed partial RDFs of ``frames`` on [0, R_MAX_A], broadened by each of ``thermal_widths_A``.

    They are computed up to ``REFERENCE_MARGIN_A`` beyond R_MAX_A, so that the broadening near R_MAX_A sees
    the peaks beyond it.

    :return: shape (len(thermal_widths_A), len(pairs) * n_bins): the pairs' curves concatenated, per width.
    """
    n_bins = int(round(R_MAX_A / BIN_WIDTH_A))
    margin_bins = int(round(REFERENCE_MARGIN_A / BIN_WIDTH_A))
    rdf = partial_rdfs(frames, (n_bins + margin_bins) * BIN_WIDTH_A, n_bins + margin_bins)
    return np.array([
        np.concatenate([gaussian_filter1d(rdf.pair(*pair), np.hypot(SMOOTHING_A, width) / BIN_WIDTH_A,
                                          mode='nearest')[:n_bins] for pair in pairs])
        for width in thermal_widths_A
    ])


def _at_density(structure: ase.Atoms, volume_per_atom_A3: float) -> ase.Atoms:
    """A copy of ``structure`` scaled isotropically to ``volume_per_atom_A3`` (Angstrom^3 per atom)."""
    scaled = structure.copy()
    factor = (volume_per_atom_A3 * len(scaled) / scaled.get_volume())**(1 / 3)
    scaled.set_cell(scaled.cell * factor, scale_atoms=True)
    return scaled


def rdf_distances(frames, references: dict, pairs=PHASE_PAIRS) -> dict:
    """RMS distance of the frame-averaged RDF(s) of ``frames`` to each static reference (module docstring).

    :param frames: periodic structures (one run's frames, or one structure), same species and volume.
    :param references: phase name -> static :class:`ase.Atoms` of the same composition.
    :param pairs: species pairs compared.
    :return: phase name -> smallest RMS difference over the thermal widths, dimensionless.
    """
    frames = [frames] if isinstance(frames, ase.Atoms) else list(frames)
    observed = _rdf_curves(frames, pairs)[0]
    volume_per_atom = float(np.mean([frame.get_volume() / len(frame) for frame in frames]))
    distances = {}
    for name, structure in references.items():
        broadened = _rdf_curves(_at_density(structure, volume_per_atom), pairs, THERMAL_WIDTHS_A)
        distances[name] = float(np.sqrt(np.mean((broadened - observed)**2, axis=1)).min())
    return distances


def identify_phase(structure: ase.Atoms, pairs=PHASE_PAIRS) -> str | None:
    """Library phase of a (possibly relaxed, replicated or rattled) crystal structure, or None.

    None when the library holds fewer than two polymorphs of its composition, or when the structure is not
    clearly closer to one of them (``CRYSTAL_MATCH_RATIO``; a glass).
    """
    names = library_polymorphs(structure.get_chemical_symbols())
    if len(names) < 2:
        return None
    distances = rdf_distances(structure, {name: get_crystal(name) for name in names}, pairs)
    closest, second = sorted(distances, key=distances.get)[:2]
    return closest if distances[closest] < CRYSTAL_MATCH_RATIO * distances[second] else None


def assess_phase(positions_A, symbols, cells_A, starting_structure: ase.Atoms, *, pairs=PHASE_PAIRS,
                 last_fraction=LAST_FRACTION) -> PhaseCheck | None:
    """Which phase a crystal MD run ended in: its starting phase or another library polymorph.

    :param positions_A: positions (wrapped or not), shape (n_frames, n_atoms, 3), Angstrom.
    :param symbols: chemical symbols, length n_atoms.
    :param cells_A: cell vectors as rows, shape (n_frames, 3, 3) or (3, 3), Angstrom.
    :param starting_structure: the structure the MD started from (its reference for the starting phase).
    :param pairs: species pairs whose RDFs are compared.
    :param last_fraction: fraction of the trajectory, at its end, that is averaged.
    :return: a :class:`PhaseCheck`, or None when the starting structure is not a library polymorph with
        others of its composition (a glass, or a single-phase composition such as Li7P3S11).
    """
    starting_phase = identify_phase(starting_structure, pairs)
    if starting_phase is None:
        return None
    positions_A = np.asarray(positions_A, dtype=float)
    cells_A = np.broadcast_to(np.asarray(cells_A, dtype=float), (positions_A.shape[0], 3, 3))
    first = int(np.floor((1 - last_fraction) * (positions_A.shape[0] - 1)))
    chosen = np.unique(np.linspace(first, positions_A.shape[0] - 1, MAX_FRAMES).round().astype(int))
    frames = [ase.Atoms(symbols, positions=positions_A[index], cell=cells_A[index], pbc=True) for index in chosen]
    references = {name: get_crystal(name) for name in library_polymorphs(symbols) if name != starting_phase}
    references[starting_phase] = starting_structure
    distances = rdf_distances(frames, references, pairs)
    closest = min(distances, key=distances.get)
    final_phase = closest if distances[starting_phase] > CHANGE_MARGIN * distances[closest] else starting_phase
    pair_names = ', '.join('-'.join(pair) for pair in pairs)
    listed = ', '.join(f'{name} {distance:.3g}' for name, distance in sorted(distances.items(), key=lambda i: i[1]))
    verdict = f'ended as {final_phase}' if final_phase != starting_phase else 'stayed'
    return PhaseCheck(
        starting_phase=starting_phase,
        final_phase=final_phase,
        changed=final_phase != starting_phase,
        distances=distances,
        reason=f'{starting_phase} {verdict} ({pair_names} RDF distance of the last {100 * last_fraction:g} %: '
               f'{listed})',
    )
