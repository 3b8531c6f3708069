"""Li-environment structure fingerprints, Pearson similarity and k-means classes of Li sites.

Follows the article's Methods ("Structure Similarity and Classification"):

1. each Li atom i is described by a local feature vector f_i;
2. the structure fingerprint F is the concatenation of the first moment (mean) and the second
   central moment (variance, article eq. 2 with k = 2) of the f_i over the structure's Li atoms;
3. the fingerprints of the whole data set are standardised (sklearn ``StandardScaler`` fitted on
   that set) and reduced by PCA to 10 components (fewer if the set is small);
4. the similarity of two structures is S_p = F_1 . F_2 / (|F_1| |F_2|) (article eq. 3, called
   the Pearson correlation there: the reduced fingerprints are centred over the data set, but
   eq. 3 does not centre each vector over its own components, and neither do we);
5. a structure is "similar to crystal C" when S_p >= 0.4;
6. Li environments are grouped with k-means; each structure is then summarised by the fraction
   of its Li atoms in each cluster.

The article's f_i are Chebyshev (AENET) descriptors of dimension 48. We use the normalised SOAP
power spectra of :mod:`aiida_lps.analysis.soap` instead (Li-centred, same 6 A cutoff); the
pipeline after step 1 is unchanged.

References:
    H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater. (2022), doi:10.1021/acs.chemmater.2c00267
    (the article: moments, PCA to 10 components, Pearson similarity, threshold 0.4, k-means).
    N. Artrith, A. Urban, G. Ceder, Phys. Rev. B 96, 014112 (2017) (Chebyshev descriptors).
    J. MacQueen, Proc. 5th Berkeley Symp. Math. Stat. Prob. 1, 281 (1967) (k-means).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ase import Atoms
import numpy as np

from aiida_lps.analysis.soap import GAP_SOAP_PARAMETERS, SoapParameters, atomic_soap

__all__ = (
    'SIMILARITY_THRESHOLD',
    'LiEnvironmentClusters',
    'cluster_li_environments',
    'fingerprint_similarity',
    'li_environment_descriptors',
    'most_similar_reference',
    'reduce_fingerprints',
    'similarity_to_references',
    'structure_fingerprints',
)

SIMILARITY_THRESHOLD = 0.4
"""S_p above which a structure counts as similar to a reference crystal (article)."""


def li_environment_descriptors(
    frames: Sequence[Atoms], parameters: SoapParameters = GAP_SOAP_PARAMETERS
) -> list[np.ndarray]:
    """Normalised SOAP power spectra of the Li environments (our substitute for Chebyshev vectors).

    :param frames: periodic structures containing Li (Angstrom).
    :param parameters: SOAP hyperparameters.
    :return: one array per frame, shape (n_li_of_frame, n_features).
    """
    return atomic_soap(frames, parameters, center_symbols=('Li',))


def structure_fingerprints(environment_descriptors: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenated mean and variance of each structure's environment descriptors (article eq. 2).

    :param environment_descriptors: per structure, array (n_environments, n_features).
    :return: fingerprints (n_structures, 2 * n_features): [mean, mean of squared deviations].
    """
    fingerprints = []
    for descriptors in environment_descriptors:
        array = np.atleast_2d(np.asarray(descriptors, dtype=float))
        fingerprints.append(np.concatenate([array.mean(axis=0), array.var(axis=0)]))
    return np.array(fingerprints)


def reduce_fingerprints(fingerprints, n_components: int = 10) -> np.ndarray:
    """Standardise fingerprints over the set and project them onto their leading principal components.

    :param fingerprints: structure fingerprints (n_structures, n_features), n_structures >= 2.
    :param n_components: number of components kept; reduced to n_structures - 1 (the rank of the
        centred data) or n_features when those are smaller.
    :return: reduced fingerprints (n_structures, n_kept); each column has zero mean over the set.
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    array = np.asarray(fingerprints, dtype=float)
    if array.ndim != 2 or len(array) < 2:
        raise ValueError(f'need fingerprints of at least 2 structures, shape (n, n_features); got {array.shape}')
    n_kept = min(n_components, len(array) - 1, array.shape[1])
    standardised = StandardScaler().fit_transform(array)
    return PCA(n_components=n_kept, svd_solver='full').fit_transform(standardised)


def fingerprint_similarity(fingerprints_a, fingerprints_b) -> np.ndarray:
    """S_p = F_a . F_b / (|F_a| |F_b|) between reduced fingerprints (article eq. 3).

    :param fingerprints_a: reduced fingerprints (n_a, n_components).
    :param fingerprints_b: reduced fingerprints (n_b, n_components).
    :return: similarities (n_a, n_b) in [-1, 1]; 1 for identical fingerprints.
    """
    a = np.atleast_2d(np.asarray(fingerprints_a, dtype=float))
    b = np.atleast_2d(np.asarray(fingerprints_b, dtype=float))
    norms_a = np.linalg.norm(a, axis=1, keepdims=True)
    norms_b = np.linalg.norm(b, axis=1, keepdims=True)
    if np.any(norms_a == 0.0) or np.any(norms_b == 0.0):
        raise ValueError(
            'a reduced fingerprint is exactly zero (the structure sits at the data-set mean); S_p is undefined'
        )
    return (a / norms_a) @ (b / norms_b).T


def similarity_to_references(
    frames: Sequence[Atoms],
    reference_frames: Sequence[Atoms],
    parameters: SoapParameters = GAP_SOAP_PARAMETERS,
    n_components: int = 10,
) -> np.ndarray:
    """Pearson similarity S_p of every structure to every reference crystal.

    Fingerprints of structures and references are standardised and reduced together, as in the
    article (one PCA over the whole database). Compare like with like: a perfect crystal has a
    zero variance block, which standardisation magnifies, so use relaxed references for relaxed
    structures and MD snapshots of the references for MD snapshots. With few structures of few Li
    atoms the PCA components beyond the first mostly describe noise.

    :param frames: structures to classify (Angstrom).
    :param reference_frames: reference crystals, e.g. LiPS3, Li7P3S11, beta/gamma-Li3PS4.
    :param parameters: SOAP hyperparameters of the Li descriptors.
    :param n_components: PCA components kept.
    :return: similarities (n_frames, n_references).
    """
    descriptors = li_environment_descriptors([*frames, *reference_frames], parameters)
    reduced = reduce_fingerprints(structure_fingerprints(descriptors), n_components)
    return fingerprint_similarity(reduced[: len(frames)], reduced[len(frames) :])


def most_similar_reference(similarity, threshold: float = SIMILARITY_THRESHOLD) -> np.ndarray:
    """Index of the most similar reference per structure, or -1 if no S_p reaches ``threshold``.

    :param similarity: S_p matrix (n_structures, n_references).
    :param threshold: smallest S_p that counts as similar (article: 0.4).
    :return: integer array (n_structures,).
    """
    array = np.atleast_2d(np.asarray(similarity, dtype=float))
    best = np.argmax(array, axis=1)
    return np.where(array[np.arange(len(array)), best] >= threshold, best, -1)


@dataclass(frozen=True)
class LiEnvironmentClusters:
    """k-means classes of Li environments.

    :param labels: per structure, cluster label of each of its Li atoms, shape (n_li_of_frame,).
    :param fractions: fraction of each structure's Li atoms in each cluster,
        shape (n_structures, n_clusters); rows sum to 1.
    :param centers: cluster centres in descriptor space, shape (n_clusters, n_features).
    """

    labels: list[np.ndarray]
    fractions: np.ndarray
    centers: np.ndarray


def cluster_li_environments(
    environment_descriptors: Sequence[np.ndarray], n_clusters: int, rng: np.random.Generator
) -> LiEnvironmentClusters:
    """k-means clustering of all Li environments of a set of structures.

    Euclidean k-means on unit-norm SOAP vectors: the squared Euclidean distance is
    2 - 2 xi_a . xi_b, the zeta = 1 SOAP distance squared.

    :param environment_descriptors: per structure, array (n_li, n_features), e.g. from
        :func:`li_environment_descriptors`.
    :param n_clusters: number of classes.
    :param rng: source of the k-means random state.
    :return: labels per structure, per-structure cluster fractions and the centres.
    """
    from sklearn.cluster import KMeans

    arrays = [np.atleast_2d(np.asarray(d, dtype=float)) for d in environment_descriptors]
    stacked = np.concatenate(arrays)
    if not 1 <= n_clusters <= len(stacked):
        raise ValueError(
            f'n_clusters must be between 1 and the number of environments ({len(stacked)}), got {n_clusters}'
        )
    kmeans = KMeans(n_clusters=n_clusters, n_init=10, random_state=int(rng.integers(2**31 - 1)))
    all_labels = kmeans.fit_predict(stacked)
    labels = np.split(all_labels, np.cumsum([len(a) for a in arrays])[:-1])
    fractions = np.array([np.bincount(lab, minlength=n_clusters) / len(lab) for lab in labels])
    return LiEnvironmentClusters(labels=labels, fractions=fractions, centers=kmeans.cluster_centers_)
