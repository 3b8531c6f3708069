"""GAP hyperparameters, ``gap_fit`` command lines, force-dependent regularisation and a memory estimate.

Defaults are Table 1 of the thesis (seed 000, section 5.1): a 2-body descriptor (cutoff 5.5 Angstrom, 20 uniform
sparse points) plus SOAP (cutoff 6.0 Angstrom, l_max 3, n_max 9, atom_sigma 0.7 Angstrom, zeta 2, 2000 CUR sparse
points), regularisation 0.01 eV/atom (energy) and 0.1 eV/Angstrom (force), no stress. The signal variances
``delta`` (1.0 eV for the 2-body term, 0.1 eV for SOAP) and the 2-body length scale ``theta_uniform`` (1.0 Angstrom)
are not in Table 1; they follow the heuristics of Deringer and Csanyi, Phys. Rev. B 95, 094203 (2017).
GAP itself: Bartok et al., Phys. Rev. Lett. 104, 136403 (2010); SOAP: Bartok et al., Phys. Rev. B 87, 184115 (2013).
"""
from __future__ import annotations

import copy

import numpy as np

__all__ = (
    'DEFAULT_HYPERPARAMETERS',
    'GAP_PRESETS',
    'merge_hyperparameters',
    'fewer_sparse_points',
    'many_body_sparse_points',
    'gap_fit_arguments',
    'reference_energy_argument',
    'two_body_pairs',
    'force_dependent_sigma',
    'estimate_fit_memory_bytes',
)

DEFAULT_HYPERPARAMETERS = {
    'two_body': {
        'cutoff': 5.5,
        'n_sparse': 20,
        'sparse_method': 'uniform',
        'covariance_type': 'ard_se',
        'delta': 1.0,
        'theta_uniform': 1.0,
    },
    'soap': {
        'cutoff': 6.0,
        'cutoff_transition_width': 0.5,
        'l_max': 3,
        'n_max': 9,
        'atom_sigma': 0.7,
        'zeta': 2,
        'n_sparse': 2000,
        'sparse_method': 'cur_points',
        'covariance_type': 'dot_product',
        'delta': 0.1,
    },
    # energy (eV/atom), force (eV/Angstrom), virial (eV/atom), hessian: stresses are not fitted (thesis 5.1)
    'default_sigma': [0.01, 0.1, 0.0, 0.0],
    'e0_method': 'average',
    'sparse_jitter': 1.0e-8,
    'species': None,
}

#: Descriptors whose sparse points (one set per species) set gap_fit's memory.
MANY_BODY_DESCRIPTORS = ('soap', 'soap_turbo')

#: Hyperparameter overrides by protocol: ``precise`` is thesis Table 1; ``fast`` is for tests and demonstrations
#: on cells of tens of atoms (fits in seconds, errors several times larger).
GAP_PRESETS = {
    'precise': {},
    'fast': {
        'two_body': {'cutoff': 5.0, 'n_sparse': 10},
        'soap': {'cutoff': 5.0, 'n_max': 6, 'l_max': 3, 'atom_sigma': 0.5, 'n_sparse': 100},
    },
}

#: QUIP's soap_turbo descriptor, usable instead of ``soap`` (Caro, Phys. Rev. B 100, 024112 (2019)); per-species
#: lists are expanded by ``gap_fit_arguments``. ``alpha_max`` is 8, not SOAP's n_max 9: QUIP warns that the
#: poly3gauss basis becomes numerically unstable above 8.
SOAP_TURBO_DEFAULTS = {
    'rcut_hard': 6.0,
    'rcut_soft': 5.5,
    'l_max': 3,
    'alpha_max': 8,
    'atom_sigma_r': 0.35,
    'atom_sigma_t': 0.35,
    'atom_sigma_r_scaling': 0.0,
    'atom_sigma_t_scaling': 0.0,
    'amplitude_scaling': 1.0,
    'central_weight': 1.0,
    'basis': 'poly3gauss',
    'scaling_mode': 'polynomial',
    'radial_enhancement': 1,
    'zeta': 2,
    'n_sparse': 2000,
    'sparse_method': 'cur_points',
    'covariance_type': 'dot_product',
    'delta': 0.1,
}


def merge_hyperparameters(overrides: dict | None = None) -> dict:
    """Return the defaults updated with ``overrides`` (nested dicts are merged one level deep).

    Set ``soap`` to None and give ``soap_turbo`` (a dict, merged over ``SOAP_TURBO_DEFAULTS``) to switch descriptor.
    :raises ValueError: for unknown keys, naming them.
    """
    merged = copy.deepcopy(DEFAULT_HYPERPARAMETERS)
    merged['soap_turbo'] = None
    for key, value in (overrides or {}).items():
        if key not in merged:
            raise ValueError(f'unknown GAP hyperparameter {key!r}; known: {sorted(merged)}')
        if key == 'soap_turbo' and value is not None:
            merged[key] = {**SOAP_TURBO_DEFAULTS, **value}
        elif isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    if merged['soap'] is None and merged['soap_turbo'] is None and merged['two_body'] is None:
        raise ValueError('the GAP needs at least one descriptor: two_body, soap or soap_turbo')
    return merged


def _descriptor_string(name: str, settings: dict) -> str:
    return ' '.join([name] + [f'{key}={value}' for key, value in settings.items()])


def _soap_turbo_strings(settings: dict, atomic_numbers: list[int]) -> list[str]:
    """One soap_turbo descriptor per central species, with per-species lists as QUIP expects."""
    n_species = len(atomic_numbers)
    per_species = ('alpha_max', 'atom_sigma_r', 'atom_sigma_t', 'atom_sigma_r_scaling', 'atom_sigma_t_scaling',
                   'amplitude_scaling', 'central_weight')
    common = {key: value for key, value in settings.items() if key not in per_species}
    lists = ' '.join(f'{key}={{{{{" ".join([str(settings[key])] * n_species)}}}}}' for key in per_species)
    species = ' '.join(str(z) for z in atomic_numbers)
    strings = []
    for index in range(1, n_species + 1):
        base = _descriptor_string('soap_turbo', common)
        strings.append(
            f'{base} n_species={n_species} species_Z={{{{{species}}}}} central_index={index} {lists} add_species=F'
        )
    return strings


def two_body_pairs(frames, cutoff: float) -> list[tuple[int, int]]:
    """Species pairs (Z1 <= Z2) with at least two distinct distances below ``cutoff`` (Angstrom) in ``frames``.

    gap_fit aborts (``select_uniform: Descriptor is too large``) on a 2-body descriptor whose pair never occurs
    within the cutoff, e.g. P-P in crystals of isolated PS4 tetrahedra; such pairs get no 2-body term.
    """
    from ase.neighborlist import neighbor_list

    distances = {}
    for atoms in frames:
        first, second, lengths = neighbor_list('ijd', atoms, cutoff)
        for z1, z2, length in zip(atoms.numbers[first], atoms.numbers[second], lengths):
            distances.setdefault((min(z1, z2), max(z1, z2)), set()).add(round(float(length), 6))
    return sorted((int(z1), int(z2)) for (z1, z2), values in distances.items() if len(values) >= 2)


def gap_fit_arguments(
    hyperparameters: dict, atomic_numbers: list[int], at_file: str, gp_file: str,
    pairs: list[tuple[int, int]] | None = None, e0: dict | None = None,
) -> list[str]:
    """Command-line arguments of ``gap_fit`` for merged ``hyperparameters``.

    Descriptors are written out per species (``add_species=F``): one 2-body term per pair in ``pairs`` and one
    SOAP (or soap_turbo) term per central species, as gap_fit's own species expansion would, but without pairs
    that have no data. Lists inside ``gap={...}`` need doubled braces (``species_Z={{3 15 16}}``).

    :param atomic_numbers: the species of the training set, e.g. ``[3, 15, 16]``.
    :param at_file: extxyz with ``energy`` (eV), ``forces`` (eV/Angstrom) and optionally ``force_atom_sigma``.
    :param gp_file: name of the single xml to write (``sparse_separate_file=F``).
    :param pairs: species pairs that get a 2-body term (see ``two_body_pairs``); None gives every pair one.
    :param e0: isolated-atom energy per element symbol (eV), subtracted before the fit (``e0={Li:..:P:..}``); None
        leaves the choice to ``e0_method`` of the hyperparameters.
    """
    if pairs is None:
        pairs = [(z1, z2) for index, z1 in enumerate(atomic_numbers) for z2 in atomic_numbers[index:]]
    species = ' '.join(str(z) for z in atomic_numbers)
    descriptors = []
    if hyperparameters.get('two_body'):
        two_body = _descriptor_string('distance_2b', hyperparameters['two_body'])
        descriptors.extend(f'{two_body} Z1={z1} Z2={z2} add_species=F' for z1, z2 in pairs)
    if hyperparameters.get('soap'):
        soap = _descriptor_string('soap', hyperparameters['soap'])
        descriptors.extend(
            f'{soap} n_species={len(atomic_numbers)} species_Z={{{{{species}}}}} Z={z} add_species=F'
            for z in atomic_numbers
        )
    if hyperparameters.get('soap_turbo'):
        descriptors.extend(_soap_turbo_strings(hyperparameters['soap_turbo'], atomic_numbers))
    sigma = ' '.join(str(value) for value in hyperparameters['default_sigma'])
    return [
        f'at_file={at_file}',
        'gap={' + ' : '.join(descriptors) + '}',
        f'default_sigma={{{sigma}}}',
        'energy_parameter_name=energy',
        'force_parameter_name=forces',
        'virial_parameter_name=NONE',
        reference_energy_argument(e0) if e0 else f'e0_method={hyperparameters["e0_method"]}',
        f'sparse_jitter={hyperparameters["sparse_jitter"]}',
        'sparse_separate_file=F',
        f'gp_file={gp_file}',
    ]


def gap_fit_job(frames: list, hyperparameters: dict, at_file: str, gp_file: str, seed: int,
                force_sigma: dict | None = None, e0: dict | None = None) -> tuple[list, list[str]]:
    """The frames to write to ``at_file`` and the command line of one ``gap_fit`` run.

    :param frames: labelled ``ase.Atoms`` (``energy`` in info, eV; ``forces`` in arrays, eV/Angstrom); not changed.
    :param hyperparameters: merged hyperparameters (``merge_hyperparameters``).
    :param seed: gap_fit's ``rnd_seed`` (sparse-point selection).
    :param force_sigma: keyword arguments of ``force_dependent_sigma`` (eq. 16); None: gap_fit's default sigmas.
    :param e0: isolated-atom energy per element symbol, eV; None: gap_fit's own e0.
    :return: copies of ``frames`` (with ``force_atom_sigma`` when ``force_sigma``) and gap_fit's arguments.
    """
    frames = [atoms.copy() for atoms in frames]
    for atoms in frames:
        if force_sigma:
            atoms.arrays['force_atom_sigma'] = force_dependent_sigma(atoms.arrays['forces'], **force_sigma)
    atomic_numbers = sorted({int(z) for atoms in frames for z in atoms.numbers})
    pairs = two_body_pairs(frames, hyperparameters['two_body']['cutoff']) if hyperparameters['two_body'] else None
    arguments = gap_fit_arguments(hyperparameters, atomic_numbers, at_file, gp_file, pairs, e0=e0)
    return frames, arguments + [f'rnd_seed={seed}']


def reference_energy_argument(e0: dict) -> str:
    """gap_fit's per-species ``e0={Li:-196.1:P:-...}`` (eV) from element symbol -> isolated-atom energy."""
    return 'e0={' + ':'.join(f'{symbol}:{float(energy)!r}' for symbol, energy in sorted(e0.items())) + '}'


def force_dependent_sigma(
    forces: np.ndarray, sigma_min: float = 0.01, c: float = 0.1, a: float = 0.01
) -> np.ndarray:
    """Per-atom force regularisation of the thesis, eq. 16.

    sigma_F,i = sigma_min + (C/A) log10(1 + A (|F_i| + mean_j |F_j|)).

    :param forces: forces of one configuration, shape (n_atoms, 3), eV/Angstrom.
    :param sigma_min: lower bound of the regulariser, eV/Angstrom.
    :param c: scale C, eV/Angstrom.
    :param a: sensitivity A, Angstrom/eV.
    :return: sigma per atom, shape (n_atoms,), eV/Angstrom.
    """
    magnitudes = np.linalg.norm(np.asarray(forces, dtype=float), axis=1)
    return sigma_min + (c / a) * np.log10(1.0 + a * (magnitudes + magnitudes.mean()))


def estimate_fit_memory_bytes(hyperparameters: dict, n_structures: int, n_atoms: int, n_species: int) -> int:
    """Rough peak memory of gap_fit (bytes): the dense sparse-by-target covariance matrices dominate.

    gap_fit holds, per descriptor, an (n_sparse x n_targets) matrix of doubles and a few working copies;
    targets are one energy per structure plus three force components per atom. It is an order-of-magnitude
    estimate, used only to refuse fits that clearly cannot fit in memory before they are submitted.

    :param n_structures: number of training configurations.
    :param n_atoms: total number of atoms over all configurations.
    :param n_species: number of species (the 2-body term has one sparse set per species pair, SOAP one per species).
    """
    n_targets = n_structures + 3 * n_atoms
    n_sparse = 0
    if hyperparameters.get('two_body'):
        n_sparse += hyperparameters['two_body']['n_sparse'] * n_species * (n_species + 1) // 2
    for key in MANY_BODY_DESCRIPTORS:
        if hyperparameters.get(key):
            n_sparse += hyperparameters[key]['n_sparse'] * n_species
    working_copies = 3
    return int(8 * n_sparse * n_targets * working_copies)


def fewer_sparse_points(overrides: dict | None, factor: float) -> dict:
    """Hyperparameter ``overrides`` with the sparse points of every many-body descriptor (``soap``, ``soap_turbo``)
    multiplied by ``factor`` (rounded down, at least 1 per species); the 2-body term is kept.

    gap_fit's memory grows linearly with the sparse points (``estimate_fit_memory_bytes``), and SOAP's thousands
    dominate the 2-body term's tens. Nothing changes when the fit has no many-body descriptor.
    """
    reduced = copy.deepcopy(overrides or {})
    for key, n_sparse in many_body_sparse_points(overrides).items():
        reduced[key] = {**reduced.get(key, {}), 'n_sparse': max(1, int(n_sparse * factor))}
    return reduced


def many_body_sparse_points(overrides: dict | None) -> dict:
    """``n_sparse`` (per species) of each many-body descriptor that hyperparameter ``overrides`` give a fit."""
    merged = merge_hyperparameters(overrides)
    return {key: merged[key]['n_sparse'] for key in MANY_BODY_DESCRIPTORS if merged[key]}
