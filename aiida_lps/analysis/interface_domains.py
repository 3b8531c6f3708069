"""Crystal, interface and glass domains of an interface cell from F(z); RDFs and Li MSDs per domain.

Thesis §6.3.2-6.3.3 (SPEC §8). Everything works with heights along the interface normal: the
perpendicular distance from the cell face spanned by the two in-plane cell vectors, in [0, H) with
H the cell height (Angstrom); for the cells of :mod:`aiida_lps.structures.interface` this is z.

Domains (:func:`crystallinity_domains`): the slices of the crystallinity profile F(z)
(:mod:`aiida_lps.analysis.amorphisation`) at or above the ``high`` level are crystal, at or below
the ``low`` level glass (levels relative, L = min F + fraction (max F - min F), as in
:func:`~aiida_lps.analysis.amorphisation.interface_widths`). Between a crystal slice and the next glass
slice (going round the periodic cell) the interface runs from where the linearly interpolated F
leaves the crystal level to where it reaches the glass level; between two slices of the same kind
everything is of that kind. The interface intervals are therefore exactly the widths of
``interface_widths``; the thesis marks them with dotted lines in Fig. 18 (about 7 A).

Region-resolved RDFs (:func:`domain_partial_rdfs`, thesis Fig. 19): g_ab^D(r) counts b neighbours
(anywhere) around the a atoms whose height lies in domain D in each frame,

    g_ab^D(r) = sum_frames n_ab^D(r) / (sum_frames N_a^D  rho_b  dV(r)),

with rho_b = N_b / V of the whole cell and dV the shell volume, so it tends to rho_b(local) / rho_b
at large r; it describes the domain cleanly only for r below the distance to the next domain.

Li MSD per domain (thesis Fig. 21), on drift-corrected unwrapped positions (framework centre of
mass, :func:`aiida_lps.analysis.msd.remove_drift`):

- static (:func:`static_domain_msd`, the thesis' variant): an atom belongs to the domain of its
  mean position over the whole trajectory, and the domain MSD is the mean of its atoms' MSDs
  averaged over all time origins;
- dynamic (:func:`dynamic_domain_msd`, the better variant SPEC §8 asks for): a displacement
  r_i(t0 + t) - r_i(t0) counts for the domain in which atom i is at the time origin t0, so atoms
  crossing between domains contribute to each in turn:

      MSD_D(t) = sum_{i, t0} w_iD(t0) |r_i(t0 + t) - r_i(t0)|^2 / sum_{i, t0} w_iD(t0),

  with w_iD(t0) = 1 if atom i is in D at t0. Expanding the square gives three correlations of
  w, x and x^2, computed with zero-padded FFTs as the all-origins MSD of
  :mod:`aiida_lps.analysis.msd` (Kneller et al., Comput. Phys. Commun. 91, 191 (1995)).

References:
    S. Stegmaier et al., Adv. Energy Mater. 11, 2100707 (2021) (Fourier amorphisation profile).
    S. Kim et al. (glass-ceramic Li3PS4 interface; thesis ref. 17) for the region-resolved analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

from ase import Atoms
from ase.neighborlist import neighbor_list
import numpy as np
import scipy.fft

from aiida_lps.analysis.amorphisation import CrystallinityProfile, crystal_glass_transitions, crystallinity_profile
from aiida_lps.analysis.msd import _drift_corrected_selection, tracer_msd
from aiida_lps.analysis.rdf import PartialRDF

__all__ = (
    'DOMAIN_NAMES',
    'DomainMsd',
    'InterfaceDomains',
    'cell_heights',
    'crystallinity_domains',
    'domain_partial_rdfs',
    'dynamic_domain_msd',
    'interface_profile',
    'static_domain_msd',
)

DOMAIN_NAMES = ('crystal', 'interface', 'glass')
"""Domain labels: index 0 crystal, 1 interface, 2 glass."""
CRYSTAL, INTERFACE, GLASS = range(3)


@dataclass(frozen=True)
class InterfaceDomains:
    """A partition of the cell height into crystal, interface and glass intervals.

    :param boundaries_A: (n_intervals + 1,) increasing heights from 0 to the cell height, Angstrom.
    :param labels: (n_intervals,) domain index of each interval (see :data:`DOMAIN_NAMES`).
    """

    boundaries_A: np.ndarray
    labels: np.ndarray

    @property
    def height_A(self) -> float:
        """Cell height along the normal, Angstrom."""
        return float(self.boundaries_A[-1])

    @property
    def interface_widths_A(self) -> np.ndarray:
        """Widths of the interface intervals (n_interfaces,), Angstrom, joining the two ends of the cell."""
        widths = np.diff(self.boundaries_A)
        is_interface = self.labels == INTERFACE
        if len(widths) > 1 and is_interface[0] and is_interface[-1]:
            return np.append(widths[is_interface][1:-1], widths[0] + widths[-1])
        return widths[is_interface]

    def domain_of_height(self, heights) -> np.ndarray:
        """Domain index of every height (any shape, Angstrom; taken modulo the cell height)."""
        wrapped = np.mod(np.asarray(heights, dtype=float), self.height_A)
        intervals = np.searchsorted(self.boundaries_A, wrapped, side='right') - 1
        return self.labels[np.clip(intervals, 0, len(self.labels) - 1)]

    def as_dict(self) -> dict:
        """JSON-serialisable form; :meth:`from_dict` restores it."""
        return {'boundaries_A': self.boundaries_A.tolist(), 'labels': self.labels.tolist(),
                'names': [DOMAIN_NAMES[label] for label in self.labels]}

    @classmethod
    def from_dict(cls, data: dict) -> InterfaceDomains:
        return cls(np.asarray(data['boundaries_A'], dtype=float), np.asarray(data['labels'], dtype=int))


def crystallinity_domains(crystallinity, slice_thickness: float, *, low: float = 0.1,
                          high: float = 0.9) -> InterfaceDomains:
    """Crystal, interface and glass intervals of a periodic F(z) profile (module docstring).

    :param crystallinity: F on equally spaced slices covering the cell, shape (n_slices,), no NaN.
    :param slice_thickness: slice spacing, Angstrom; slice k is centred at (k + 1/2) x thickness.
    :param low: relative level at or below which a slice is glass.
    :param high: relative level at or above which a slice is crystal.
    :return: the domains; a profile without a crystal-to-glass change is one crystal domain.
    """
    transitions = crystal_glass_transitions(crystallinity, low=low, high=high)
    height = len(crystallinity) * slice_thickness
    if not transitions:
        return InterfaceDomains(np.array([0.0, height]), np.array([CRYSTAL]))
    points, labels = [], []  # leave/arrive points in slice-index units, round the cell from the first transition
    for leave, arrive, phase in transitions:
        points += [leave, arrive]
        labels += [INTERFACE, CRYSTAL if phase == 1 else GLASS]
    centres = (np.array(points) + 0.5) * slice_thickness  # leave/arrive heights, possibly beyond the cell
    return _periodic_intervals(centres, np.array(labels), height)


def _periodic_intervals(starts: np.ndarray, labels: np.ndarray, height: float) -> InterfaceDomains:
    """Intervals [starts[k], starts[k + 1]) with labels[k], round a periodic cell, cut at 0 and ``height``."""
    wrapped = np.mod(starts, height)
    order = np.argsort(wrapped, kind='stable')
    wrapped, labels = wrapped[order], labels[order]
    boundaries = np.concatenate([[0.0], wrapped, [height]])
    interval_labels = np.concatenate([[labels[-1]], labels])  # the interval before the first start wraps round
    keep = np.diff(boundaries) > 0
    return InterfaceDomains(np.concatenate([[0.0], boundaries[1:][keep]]), interval_labels[keep])


def interface_profile(frames: Sequence[Atoms], n_slices: int, *, normal_axis: int = 2, symbol: str = 'P',
                      sigma: float = 0.5, grid_spacing: float = 0.25, n_peaks: int = 12, low: float = 0.1,
                      high: float = 0.9) -> tuple[CrystallinityProfile, InterfaceDomains]:
    """F(z) of a trajectory and the crystal / interface / glass domains it implies.

    :param frames: snapshots of one interface cell (Angstrom).
    :param n_slices: slices along the normal cell vector.
    :param normal_axis: index of the normal cell vector.
    :param symbol: sublattice analysed (thesis: P).
    :param sigma: Gaussian smearing, Angstrom.
    :param grid_spacing: 2-D grid spacing, Angstrom.
    :param n_peaks: Bragg intensities summed.
    :param low: relative glass level.
    :param high: relative crystal level.
    :return: the profile (see ``crystallinity_profile``) and the domains.
    """
    profile = crystallinity_profile(frames, n_slices, normal_axis=normal_axis, symbol=symbol, sigma=sigma,
                                    grid_spacing=grid_spacing, n_peaks=n_peaks)
    return profile, crystallinity_domains(profile.crystallinity, profile.slice_thickness, low=low, high=high)


def cell_heights(positions, cell, normal_axis: int = 2) -> np.ndarray:
    """Heights along the normal, in [0, H), of positions in a periodic cell.

    :param positions: Cartesian positions (..., 3), Angstrom (unwrapped or not).
    :param cell: cell vectors as rows (3, 3), Angstrom.
    :param normal_axis: index of the cell vector along the normal.
    :return: heights (...), Angstrom.
    """
    cell = np.asarray(cell, dtype=float)
    fractional = np.asarray(positions, dtype=float) @ np.linalg.inv(cell)
    height = 1.0 / np.linalg.norm(np.linalg.inv(cell)[:, normal_axis])
    return np.mod(fractional[..., normal_axis], 1.0) * height


def _check_domains_fit_cell(domains: InterfaceDomains, cell, normal_axis: int) -> None:
    height = 1.0 / np.linalg.norm(np.linalg.inv(np.asarray(cell, dtype=float))[:, normal_axis])
    if not np.isclose(height, domains.height_A, rtol=1e-6):
        raise ValueError(f'the domains span {domains.height_A:.4f} A but the cell is {height:.4f} A high; '
                         'compute the domains from this trajectory')


def domain_partial_rdfs(frames: Sequence[Atoms], domains: InterfaceDomains, r_max: float, n_bins: int, *,
                        normal_axis: int = 2) -> dict[str, PartialRDF]:
    """Partial RDFs around the atoms of each domain (module docstring), time averaged.

    :param frames: snapshots of one interface cell (Angstrom), same atoms in each.
    :param domains: the cell's domains.
    :param r_max: largest distance, Angstrom.
    :param n_bins: number of bins.
    :param normal_axis: index of the normal cell vector.
    :return: domain name -> :class:`~aiida_lps.analysis.rdf.PartialRDF` with g[(a, b)] (a <= b
        alphabetically, a the centre species), NaN where the domain never held an atom of a; only
        domains present in ``domains``; ``number_densities`` of the whole cell.
    """
    frames = list(frames)
    symbols = np.array(frames[0].get_chemical_symbols())
    species = sorted(set(symbols))
    pairs = list(combinations_with_replacement(species, 2))
    bin_edges = np.linspace(0.0, r_max, n_bins + 1)
    present = sorted(set(domains.labels.tolist()))
    counts = {(domain, pair): np.zeros(n_bins) for domain in present for pair in pairs}
    centres = {(domain, element): 0 for domain in present for element in species}
    for frame in frames:
        _check_domains_fit_cell(domains, frame.cell, normal_axis)
        domain_of_atom = domains.domain_of_height(cell_heights(frame.positions, frame.cell, normal_axis))
        first, second, distances = neighbor_list('ijd', frame, r_max)
        for domain in present:
            in_domain = domain_of_atom == domain
            for element in species:
                centres[(domain, element)] += np.count_nonzero(in_domain & (symbols == element))
            for a, b in pairs:
                selected = in_domain[first] & (symbols[first] == a) & (symbols[second] == b)
                counts[(domain, (a, b))] += np.histogram(distances[selected], bins=bin_edges)[0]
    volume = np.mean([frame.get_volume() for frame in frames])
    densities = {element: float(np.count_nonzero(symbols == element) / volume) for element in species}
    shells = 4.0 / 3.0 * np.pi * np.diff(bin_edges**3)
    result = {}
    for domain in present:
        g = {}
        for a, b in pairs:
            n_centres = centres[(domain, a)]
            normalisation = n_centres * densities[b] * shells
            g[(a, b)] = counts[(domain, (a, b))] / normalisation if n_centres else np.full(n_bins, np.nan)
        result[DOMAIN_NAMES[domain]] = PartialRDF(bin_edges, g, densities)
    return result


@dataclass(frozen=True)
class DomainMsd:
    """Mean square displacement per domain.

    :param msd: (n_domains, n_frames, 3) Angstrom^2 along x, y, z, index 0 crystal, 1 interface,
        2 glass (:data:`DOMAIN_NAMES`); NaN where a domain has no sample at that lag.
    :param samples: (n_domains, n_frames) number of (atom, time origin) pairs averaged at each lag.
    """

    msd: np.ndarray
    samples: np.ndarray


def _mobile_positions_in_cell(positions, cell, domains, mobile_indices, reference_indices, masses, normal_axis):
    """Drift-corrected positions (n_frames, n_mobile, 3) of the mobile atoms; checks that the domains fit the cell."""
    _check_domains_fit_cell(domains, cell, normal_axis)
    return _drift_corrected_selection(positions, mobile_indices, reference_indices, masses)


def static_domain_msd(positions, cell, domains: InterfaceDomains, mobile_indices, *, reference_indices=None,
                      masses=None, normal_axis: int = 2) -> DomainMsd:
    """MSD per domain, every atom in the domain of its mean position (thesis §6.3.3).

    :param positions: unwrapped positions (n_frames, n_atoms, 3), Angstrom, in a fixed cell.
    :param cell: cell vectors as rows (3, 3), Angstrom.
    :param domains: the cell's domains.
    :param mobile_indices: atoms followed (e.g. all Li), length n_mobile.
    :param reference_indices: atoms whose centre-of-mass drift is removed (default: all others).
    :param masses: atomic masses (n_atoms,), amu, for the centre of mass.
    :param normal_axis: index of the normal cell vector.
    :return: the domain MSDs; samples = atoms of the domain x (n_frames - lag) origins.
    """
    mobile = _mobile_positions_in_cell(positions, cell, domains, mobile_indices, reference_indices, masses,
                                       normal_axis)
    per_atom = tracer_msd(mobile, np.arange(mobile.shape[1]), reference_indices=[])
    domain_of_atom = domains.domain_of_height(cell_heights(mobile.mean(axis=0), cell, normal_axis))
    n_frames = mobile.shape[0]
    origins = np.arange(n_frames, 0, -1)
    msd = np.full((len(DOMAIN_NAMES), n_frames, 3), np.nan)
    samples = np.zeros((len(DOMAIN_NAMES), n_frames), dtype=int)
    for domain in range(len(DOMAIN_NAMES)):
        members = domain_of_atom == domain
        if members.any():
            msd[domain] = per_atom[:, members].mean(axis=1)
            samples[domain] = members.sum() * origins
    return DomainMsd(msd, samples)


def _correlate(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """sum_k first(k) second(k + m) for m = 0 .. n-1 along axis 0 (zero-padded FFT), same trailing shape."""
    n_frames = first.shape[0]
    n_fft = scipy.fft.next_fast_len(2 * n_frames, real=True)
    spectrum = np.conj(scipy.fft.rfft(first, n=n_fft, axis=0)) * scipy.fft.rfft(second, n=n_fft, axis=0)
    return scipy.fft.irfft(spectrum, n=n_fft, axis=0)[:n_frames]


def _weighted_squared_displacements(coordinates: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k w(k) [x(k + m) - x(k)]^2 summed over atoms, per lag m and direction.

    :param coordinates: (n_frames, n_atoms, 3), Angstrom.
    :param weights: (n_frames, n_atoms), 0 or 1.
    :return: (n_frames, 3), Angstrom^2 (sums, not means).
    """
    centred = coordinates - coordinates.mean(axis=0)  # the squared displacement is shift invariant
    w = np.broadcast_to(weights[:, :, None], centred.shape)
    squared = centred**2
    later = _correlate(w, squared)  # sum_k w(k) x(k+m)^2
    weighted_squares = w * squared
    # sum_{k < n-m} w(k) x(k)^2: the cumulative sum up to n - m - 1
    earlier = np.cumsum(weighted_squares, axis=0)[::-1]
    cross = _correlate(w * centred, centred)  # sum_k w(k) x(k) x(k+m)
    total = (later + earlier - 2.0 * cross).sum(axis=1)
    total[0] = 0.0
    return total


def dynamic_domain_msd(positions, cell, domains: InterfaceDomains, mobile_indices, *, reference_indices=None,
                       masses=None, normal_axis: int = 2) -> DomainMsd:
    """MSD per domain with every displacement assigned to the domain of the atom at its time origin.

    The parameters (positions (n_frames, n_atoms, 3) and cell (3, 3) in Angstrom, masses in amu) are those of
    :func:`static_domain_msd`.

    :return: the domain MSDs; samples = (atom, origin) pairs with the atom in the domain at the origin.
    """
    mobile = _mobile_positions_in_cell(positions, cell, domains, mobile_indices, reference_indices, masses,
                                       normal_axis)
    domain_now = domains.domain_of_height(cell_heights(mobile, cell, normal_axis))  # (n_frames, n_mobile)
    n_frames = mobile.shape[0]
    msd = np.full((len(DOMAIN_NAMES), n_frames, 3), np.nan)
    samples = np.zeros((len(DOMAIN_NAMES), n_frames), dtype=int)
    for domain in range(len(DOMAIN_NAMES)):
        weights = (domain_now == domain).astype(float)
        # origins k < n - m with the atom in the domain: reverse cumulative count
        counts = np.rint(np.cumsum(weights.sum(axis=1))[::-1]).astype(int)
        samples[domain] = counts
        filled = counts > 0
        if filled.any():
            sums = _weighted_squared_displacements(mobile, weights)
            msd[domain, filled] = sums[filled] / counts[filled, None]
    return DomainMsd(msd, samples)
