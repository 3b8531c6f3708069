"""SOAP power spectra, the SOAP kernel and distance, farthest-point sampling and kernel-PCA maps.

This is the one module of aiida-lps that computes SOAP descriptors; everything else
(fingerprints, random-structure selection, similarity maps, training-set selection) imports
:func:`atomic_soap` and :func:`global_soap` from here.

Definitions (thesis §3.5, eqs. 13-15 and 17):

- per-environment descriptor xi: the SOAP power spectrum of DScribe, divided by its norm;
- kernel k(a, b) = (xi_a . xi_b)^zeta, zeta = 2 by default; k(a, a) = 1;
- distance D(a, b) = sqrt(2 - 2 k(a, b)) (negative round-off of 2 - 2k clipped to zero);
- global descriptor of a structure: mean of its normalised per-atom power spectra, divided by
  its norm again (the "average kernel" of De et al. 2016). The thesis' eq. 15 averages the
  density coefficients c_nlm before forming the power spectrum (QUIP's ``average`` option,
  DScribe's ``average='inner'``); we average the power spectra instead so the global descriptor
  follows from the per-atom ones without a second SOAP evaluation and its linear kernel is the
  mean of the per-atom linear kernels;
- dissimilarity of an environment from a reference (training) set: its smallest distance to any
  reference environment (thesis eq. 17, "target regions"; the printed "max" is garbled, the
  text defines it as the minimum of the distance row);
- kernel PCA with a polynomial kernel: :class:`sklearn.decomposition.KernelPCA` with
  ``kernel='poly', degree=zeta, gamma=1, coef0=0`` on the normalised descriptors, which is
  exactly k(a, b) above (sklearn's default kernel is linear, i.e. zeta = 1).

The default SOAP parameters are those of the GAP (thesis Table 1): r_cut 6.0 A, n_max 9,
l_max 3, atom sigma 0.7 A. DScribe's GTO radial basis and normalisation differ from QUIP's,
so descriptors are comparable with each other but not number-for-number with QUIP's.

References:
    A. P. Bartok, R. Kondor, G. Csanyi, Phys. Rev. B 87, 184115 (2013) (SOAP).
    S. De, A. P. Bartok, G. Csanyi, M. Ceriotti, Phys. Chem. Chem. Phys. 18, 13754 (2016)
    (kernel, distance, average kernel).
    L. Himanen et al., Comput. Phys. Commun. 247, 106949 (2020) (DScribe).
    B. Schoelkopf, A. Smola, K.-R. Mueller, Neural Comput. 10, 1299 (1998) (kernel PCA).
    Y. Eldar, M. Lindenbaum, M. Porat, Y. Y. Zeevi, IEEE Trans. Image Process. 6, 1305 (1997);
    G. Imbalzano et al., J. Chem. Phys. 148, 241730 (2018) (farthest-point sampling).
    chemiscope JSON format: G. Fraux et al., J. Open Source Softw. 5, 2117 (2020).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
import gzip
import json
from pathlib import Path

from ase import Atoms
import numpy as np

__all__ = (
    'GAP_SOAP_PARAMETERS',
    'SoapParameters',
    'atomic_soap',
    'dissimilarity_from_reference',
    'farthest_point_sampling',
    'farthest_point_sampling_on_descriptors',
    'global_soap',
    'kernel_pca_map',
    'soap_distance',
    'soap_kernel',
    'write_chemiscope_input',
)

_NORM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class SoapParameters:
    """Hyperparameters of the SOAP power spectrum (defaults: the GAP's, thesis Table 1).

    :param species: chemical symbols the descriptor has channels for; every atom of every frame
        must be one of them.
    :param r_cut: cutoff radius, Angstrom.
    :param n_max: number of radial basis functions.
    :param l_max: maximum degree of the spherical harmonics.
    :param sigma: width of the atomic Gaussians, Angstrom.
    """

    species: tuple[str, ...] = ('Li', 'P', 'S')
    r_cut: float = 6.0
    n_max: int = 9
    l_max: int = 3
    sigma: float = 0.7


GAP_SOAP_PARAMETERS = SoapParameters()


def _soap_descriptor(parameters: SoapParameters):
    """Return the periodic DScribe SOAP object for ``parameters``."""
    from dscribe.descriptors import SOAP

    return SOAP(
        species=list(parameters.species),
        periodic=True,
        r_cut=parameters.r_cut,
        n_max=parameters.n_max,
        l_max=parameters.l_max,
        sigma=parameters.sigma,
    )


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Divide every row by its Euclidean norm; a zero row cannot be normalised and raises."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if np.any(norms == 0.0):
        raise ValueError(
            'a SOAP power spectrum is exactly zero (an atom without neighbours within r_cut); '
            'increase r_cut or remove isolated atoms'
        )
    return vectors / norms


def _center_indices(frame: Atoms, center_symbols: Sequence[str] | None, frame_index: int) -> np.ndarray:
    """Indices of the atoms of ``frame`` whose environments are described."""
    if center_symbols is None:
        return np.arange(len(frame))
    indices = np.flatnonzero(np.isin(frame.get_chemical_symbols(), list(center_symbols)))
    if indices.size == 0:
        raise ValueError(
            f'frame {frame_index} ({frame.get_chemical_formula()}) has no atom of {list(center_symbols)}; '
            'remove the frame or choose other centre species'
        )
    return indices


def _frame_soap(
    soap, frame: Atoms, species: Sequence[str], center_symbols: Sequence[str] | None, frame_index: int, n_jobs: int
) -> np.ndarray:
    """Normalised power spectra, shape (n_centres, n_features), of the selected atoms of one frame."""
    unknown = set(frame.get_chemical_symbols()) - set(species)
    if unknown:
        raise ValueError(
            f'frame {frame_index} contains {sorted(unknown)}, which SoapParameters.species={tuple(species)} '
            'lacks; add them to species'
        )
    centers = _center_indices(frame, center_symbols, frame_index)
    spectra = soap.create(frame, centers=centers.tolist(), n_jobs=n_jobs)
    return _normalise_rows(np.asarray(spectra, dtype=float).reshape(len(centers), -1))


def atomic_soap(
    frames: Sequence[Atoms],
    parameters: SoapParameters = GAP_SOAP_PARAMETERS,
    *,
    center_symbols: Sequence[str] | None = None,
    n_jobs: int = 1,
) -> list[np.ndarray]:
    """Normalised per-environment SOAP power spectra of periodic structures.

    :param frames: periodic structures (positions in Angstrom).
    :param parameters: SOAP hyperparameters.
    :param center_symbols: describe only atoms of these species (e.g. ``('Li',)``); ``None``
        describes every atom.
    :param n_jobs: DScribe worker processes per frame.
    :return: one array per frame, shape (n_centres_of_frame, n_features), each row of unit norm;
        rows follow the atom order of the frame.
    """
    soap = _soap_descriptor(parameters)
    return [
        _frame_soap(soap, frame, parameters.species, center_symbols, index, n_jobs)
        for index, frame in enumerate(frames)
    ]


def global_soap(
    frames: Sequence[Atoms],
    parameters: SoapParameters = GAP_SOAP_PARAMETERS,
    *,
    center_symbols: Sequence[str] | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Global SOAP descriptors: mean of the normalised per-atom spectra, re-normalised.

    Frames are processed one at a time, so memory stays proportional to n_frames x n_features
    even for 10,000 random structures.

    :param frames: periodic structures (positions in Angstrom).
    :param parameters: SOAP hyperparameters.
    :param center_symbols: average only over atoms of these species; ``None`` averages over all.
    :param n_jobs: DScribe worker processes per frame.
    :return: array (n_frames, n_features), rows of unit norm.
    """
    soap = _soap_descriptor(parameters)
    means = [
        _frame_soap(soap, frame, parameters.species, center_symbols, index, n_jobs).mean(axis=0)
        for index, frame in enumerate(frames)
    ]
    return _normalise_rows(np.array(means))


def _as_normalised_descriptors(descriptors, name: str) -> np.ndarray:
    """Return ``descriptors`` as a 2-D float array after checking that each row has unit norm."""
    array = np.atleast_2d(np.asarray(descriptors, dtype=float))
    if array.ndim != 2:
        raise ValueError(f'{name} must have shape (n, n_features), got {array.shape}')
    norms = np.linalg.norm(array, axis=1)
    if not np.allclose(norms, 1.0, atol=_NORM_TOLERANCE):
        raise ValueError(
            f'{name} rows must have unit norm (got norms {norms.min():.4g}..{norms.max():.4g}); '
            'use atomic_soap/global_soap, which normalise'
        )
    return array


def soap_kernel(descriptors_a, descriptors_b, zeta: int = 2) -> np.ndarray:
    """Polynomial SOAP kernel k(a, b) = (xi_a . xi_b)^zeta (thesis eq. 13).

    :param descriptors_a: normalised descriptors, shape (n_a, n_features).
    :param descriptors_b: normalised descriptors, shape (n_b, n_features).
    :param zeta: kernel exponent (the GAP uses 2).
    :return: kernel matrix (n_a, n_b), values in [0, 1] for power spectra.
    """
    a = _as_normalised_descriptors(descriptors_a, 'descriptors_a')
    b = _as_normalised_descriptors(descriptors_b, 'descriptors_b')
    return (a @ b.T) ** zeta


def soap_distance(descriptors_a, descriptors_b, zeta: int = 2) -> np.ndarray:
    """Kernel-induced distance D = sqrt(2 - 2 k) (thesis eq. 14), with 2 - 2k clipped at 0.

    :param descriptors_a: normalised descriptors, shape (n_a, n_features).
    :param descriptors_b: normalised descriptors, shape (n_b, n_features).
    :param zeta: kernel exponent.
    :return: distance matrix (n_a, n_b), dimensionless, in [0, sqrt(2)].
    """
    return np.sqrt(np.clip(2.0 - 2.0 * soap_kernel(descriptors_a, descriptors_b, zeta), 0.0, None))


def dissimilarity_from_reference(
    descriptors, reference_descriptors, zeta: int = 2, *, chunk_size: int = 2048
) -> np.ndarray:
    """Smallest SOAP distance of each environment to any reference environment (thesis eq. 17).

    :param descriptors: normalised descriptors to assess, shape (n, n_features).
    :param reference_descriptors: normalised descriptors of the reference (training) set,
        shape (n_reference, n_features).
    :param zeta: kernel exponent.
    :param chunk_size: rows of ``descriptors`` handled at once (bounds memory to
        chunk_size x n_reference floats).
    :return: dissimilarities (n,), 0 for an environment that is in the reference set.
    """
    array = _as_normalised_descriptors(descriptors, 'descriptors')
    reference = _as_normalised_descriptors(reference_descriptors, 'reference_descriptors')
    return np.concatenate(
        [
            soap_distance(array[start : start + chunk_size], reference, zeta).min(axis=1)
            for start in range(0, len(array), chunk_size)
        ]
    )


def _greedy_farthest_points(
    distances_from: Callable[[int], np.ndarray],
    n_select: int,
    start_index: int,
    min_distance: np.ndarray | None,
) -> np.ndarray:
    """Greedy max-min selection; ``distances_from(i)`` gives the distances of point i to all points.

    :param min_distance: each point's distance to the points selected beforehand, or ``None``
        if nothing is selected yet (then ``start_index`` is the first pick).
    """
    first = start_index if min_distance is None else int(np.argmax(min_distance))
    selected = [first]
    closest = distances_from(first) if min_distance is None else np.minimum(min_distance, distances_from(first))
    while len(selected) < n_select:
        farthest = int(np.argmax(closest))
        selected.append(farthest)
        closest = np.minimum(closest, distances_from(farthest))
    return np.array(selected, dtype=int)


def _check_selection_size(n_select: int, n_available: int) -> None:
    if not 1 <= n_select <= n_available:
        raise ValueError(
            f'n_select must be between 1 and {n_available} (the candidates not yet selected), got {n_select}'
        )


def _check_start_index(start_index: int, n_points: int) -> None:
    if not 0 <= start_index < n_points:
        raise ValueError(f'start_index must be in [0, {n_points}), got {start_index}')


def farthest_point_sampling(
    distance_matrix, n_select: int, *, start_index: int = 0, already_selected: Sequence[int] = ()
) -> np.ndarray:
    """Farthest-point sampling on a precomputed symmetric distance matrix.

    Each new point is the one whose distance to its nearest selected point is largest (ties go to
    the lowest index).

    :param distance_matrix: pairwise distances (n_points, n_points), any unit.
    :param n_select: number of new points to pick.
    :param start_index: first pick when ``already_selected`` is empty.
    :param already_selected: indices into the matrix treated as chosen beforehand (e.g. the
        training set); they are never returned and the first new pick is farthest from them.
    :return: indices (n_select,) in order of selection.
    """
    distances = np.asarray(distance_matrix, dtype=float)
    if distances.ndim != 2 or distances.shape[0] != distances.shape[1]:
        raise ValueError(f'distance_matrix must be square, got shape {distances.shape}')
    n_points = len(distances)
    previous = np.unique(np.asarray(already_selected, dtype=int))
    _check_start_index(start_index, n_points)
    _check_selection_size(n_select, n_points - previous.size)
    min_distance = distances[:, previous].min(axis=1) if previous.size else None
    return _greedy_farthest_points(lambda index: distances[index], n_select, start_index, min_distance)


def farthest_point_sampling_on_descriptors(
    descriptors,
    n_select: int,
    zeta: int = 2,
    *,
    start_index: int = 0,
    reference_descriptors=None,
) -> np.ndarray:
    """Farthest-point sampling with the SOAP distance, without building the full distance matrix.

    Memory and time per pick are O(n_points), so this suits 10,000 candidate structures.

    :param descriptors: normalised candidate descriptors, shape (n_points, n_features).
    :param n_select: number of candidates to pick.
    :param zeta: kernel exponent of the distance.
    :param start_index: first pick when ``reference_descriptors`` is ``None``.
    :param reference_descriptors: normalised descriptors already selected (e.g. the training set),
        shape (n_reference, n_features); the first pick is then the candidate farthest from them.
    :return: candidate indices (n_select,) in order of selection.
    """
    candidates = _as_normalised_descriptors(descriptors, 'descriptors')
    _check_start_index(start_index, len(candidates))
    _check_selection_size(n_select, len(candidates))
    min_distance = (
        None if reference_descriptors is None else dissimilarity_from_reference(candidates, reference_descriptors, zeta)
    )
    return _greedy_farthest_points(
        lambda index: soap_distance(candidates[index : index + 1], candidates, zeta)[0],
        n_select,
        start_index,
        min_distance,
    )


def kernel_pca_map(descriptors, zeta: int = 2, n_components: int = 2, *, seed: int = 0) -> np.ndarray:
    """Kernel-PCA projection with the polynomial SOAP kernel (thesis §3.5 and §4).

    Uses ``KernelPCA(kernel='poly', degree=zeta, gamma=1, coef0=0)``, so the kernel is exactly
    (xi_a . xi_b)^zeta; sklearn centres it in feature space. The sign of each component is
    arbitrary (as for any eigenvector).

    :param descriptors: normalised descriptors, shape (n, n_features).
    :param zeta: kernel exponent.
    :param n_components: number of components kept (2 for a map).
    :param seed: random state for sklearn's iterative (ARPACK) eigensolver, used when n > 200.
    :return: coordinates (n, n_components): eigenvectors of the centred kernel scaled by the
        square roots of their eigenvalues.
    """
    from sklearn.decomposition import KernelPCA

    array = _as_normalised_descriptors(descriptors, 'descriptors')
    if not 1 <= n_components < len(array):
        raise ValueError(f'n_components must be between 1 and n - 1 = {len(array) - 1}, got {n_components}')
    kpca = KernelPCA(n_components=n_components, kernel='poly', degree=zeta, gamma=1.0, coef0=0.0, random_state=seed)
    return kpca.fit_transform(array)


def _structure_json(frame: Atoms) -> dict:
    """One structure in chemiscope's JSON layout (Angstrom)."""
    positions = frame.get_positions()
    return {
        'size': len(frame),
        'names': frame.get_chemical_symbols(),
        'x': positions[:, 0].tolist(),
        'y': positions[:, 1].tolist(),
        'z': positions[:, 2].tolist(),
        'cell': np.asarray(frame.cell).reshape(9).tolist(),
    }


def _property_json(name: str, target: str, values, n_expected: int) -> dict:
    """One property in chemiscope's JSON layout, after checking its length."""
    array = np.asarray(values)
    if array.shape != (n_expected,):
        raise ValueError(f'{target} property {name!r} must have shape ({n_expected},), got {array.shape}')
    return {'target': target, 'values': array.tolist()}


def _environments_json(frames: Sequence[Atoms], centers: Sequence[Sequence[int]], cutoff: float) -> list[dict]:
    """chemiscope environments (structure index, centre atom index, cutoff in Angstrom)."""
    if len(centers) != len(frames):
        raise ValueError(f'environment_centers needs one entry per frame ({len(frames)}), got {len(centers)}')
    environments = []
    for index, (frame, frame_centers) in enumerate(zip(frames, centers)):
        for center in frame_centers:
            if not 0 <= int(center) < len(frame):
                raise ValueError(
                    f'environment centre {center} is not an atom index of frame {index} ({len(frame)} atoms)'
                )
            environments.append({'structure': index, 'center': int(center), 'cutoff': float(cutoff)})
    return environments


def write_chemiscope_input(
    path: str | Path,
    frames: Sequence[Atoms],
    *,
    structure_properties: Mapping[str, Sequence[float]] | None = None,
    atom_properties: Mapping[str, Sequence[float]] | None = None,
    environment_centers: Sequence[Sequence[int]] | None = None,
    environment_cutoff: float = GAP_SOAP_PARAMETERS.r_cut,
    name: str = 'aiida-lps similarity map',
    description: str = '',
) -> Path:
    """Write a chemiscope viewer input (JSON, gzip-compressed if ``path`` ends in ``.gz``).

    The ``chemiscope`` PyPI package would pull in the Jupyter widget stack (anywidget,
    ipywidgets) just to be imported, so this function writes the documented format itself:
    ``{"meta": {...}, "structures": [...], "properties": {...}, "environments": [...]}``.

    :param path: output file, ending in ``.json`` or ``.json.gz``.
    :param frames: the structures (Angstrom).
    :param structure_properties: name -> values (n_frames,), e.g. kPCA coordinates of global
        descriptors or energies.
    :param atom_properties: name -> values (n_environments,), one per environment, in the order
        of ``environment_centers`` (frame by frame).
    :param environment_centers: per frame, the atom indices that carry atom properties (e.g. the
        Li atoms); ``None`` means every atom of every frame. Ignored without ``atom_properties``.
    :param environment_cutoff: radius of the environment drawn around a centre, Angstrom.
    :param name: dataset name shown by the viewer.
    :param description: dataset description.
    :return: the path written.
    """
    path = Path(path)
    if not path.name.endswith(('.json', '.json.gz')):
        raise ValueError(f'chemiscope input must end in .json or .json.gz, got {path.name!r}')
    data = {
        'meta': {'name': name, 'description': description},
        'structures': [_structure_json(frame) for frame in frames],
        'properties': {
            key: _property_json(key, 'structure', values, len(frames))
            for key, values in (structure_properties or {}).items()
        },
    }
    if atom_properties:
        centers = environment_centers if environment_centers is not None else [range(len(f)) for f in frames]
        data['environments'] = _environments_json(frames, centers, environment_cutoff)
        for key, values in atom_properties.items():
            data['properties'][key] = _property_json(key, 'atom', values, len(data['environments']))
    text = json.dumps(data)
    if path.name.endswith('.gz'):
        with gzip.open(path, 'wt', encoding='utf8') as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding='utf8')
    return path
