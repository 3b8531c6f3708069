"""Known-answer tests of SOAP descriptors, kernel, distance, FPS, kernel PCA, dissimilarity and chemiscope export."""

import gzip
import json
import subprocess
import sys

from ase import Atoms
import numpy as np
import pytest

from aiida_lps.analysis.soap import (
    GAP_SOAP_PARAMETERS,
    SoapParameters,
    atomic_soap,
    dissimilarity_from_reference,
    farthest_point_sampling,
    farthest_point_sampling_on_descriptors,
    global_soap,
    kernel_pca_map,
    soap_distance,
    soap_kernel,
    write_chemiscope_input,
)

SMALL_SOAP = SoapParameters(r_cut=4.0, n_max=3, l_max=2, sigma=0.5)


def rocksalt_lips(lattice_constant=5.6):
    """Conventional rock-salt Li4S4 cell with one Li replaced by P (8 atoms)."""
    a = lattice_constant
    cations = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    return Atoms(
        'PLi3S4', scaled_positions=np.vstack([cations, cations + [0.5, 0, 0]]), cell=[a, a, a], pbc=True
    )


def unit_vectors_at_angles(angles_degrees):
    radians = np.radians(angles_degrees)
    return np.column_stack([np.cos(radians), np.sin(radians)])


def test_gap_defaults_are_thesis_table_1():
    assert (GAP_SOAP_PARAMETERS.r_cut, GAP_SOAP_PARAMETERS.n_max, GAP_SOAP_PARAMETERS.l_max) == (6.0, 9, 3)
    assert GAP_SOAP_PARAMETERS.sigma == 0.7
    assert GAP_SOAP_PARAMETERS.species == ('Li', 'P', 'S')


def test_atomic_and_global_descriptors_are_normalised_and_self_similar():
    crystal = rocksalt_lips()
    (per_atom,) = atomic_soap([crystal], SMALL_SOAP)
    assert per_atom.shape[0] == len(crystal)
    assert np.allclose(np.linalg.norm(per_atom, axis=1), 1.0)
    # the three Li are equivalent by symmetry, so their environments coincide
    li_rows = per_atom[[1, 2, 3]]
    assert np.allclose(soap_kernel(li_rows, li_rows), 1.0)
    descriptors = global_soap([crystal], SMALL_SOAP)
    assert descriptors.shape == (1, per_atom.shape[1])
    assert soap_kernel(descriptors, descriptors)[0, 0] == pytest.approx(1.0)
    assert soap_distance(descriptors, descriptors)[0, 0] == pytest.approx(0.0, abs=1e-7)


def test_global_descriptor_is_mean_of_atomic_ones_renormalised():
    crystal = rocksalt_lips()
    crystal.rattle(0.1, rng=np.random.default_rng(3))
    (per_atom,) = atomic_soap([crystal], SMALL_SOAP)
    mean = per_atom.mean(axis=0)
    assert np.allclose(global_soap([crystal], SMALL_SOAP)[0], mean / np.linalg.norm(mean))


def test_descriptors_are_invariant_to_rotation_translation_and_distinguish_distortion():
    crystal = rocksalt_lips()
    moved = crystal.copy()
    moved.rotate(90, 'z', rotate_cell=True)
    moved.translate([0.3, -0.7, 1.1])
    rattled = crystal.copy()
    rattled.rattle(0.2, rng=np.random.default_rng(0))
    reference, rotated, distorted = global_soap([crystal, moved, rattled], SMALL_SOAP)
    assert soap_kernel(reference, rotated)[0, 0] == pytest.approx(1.0, abs=1e-8)
    assert soap_distance(reference, distorted)[0, 0] > 1e-3


def test_centre_species_selection_and_clear_errors():
    crystal = rocksalt_lips()
    (li_only,) = atomic_soap([crystal], SMALL_SOAP, center_symbols=('Li',))
    assert li_only.shape[0] == 3
    with pytest.raises(ValueError, match='no atom of'):
        atomic_soap([Atoms('S2', positions=[[0, 0, 0], [2, 0, 0]], cell=[5, 5, 5], pbc=True)], SMALL_SOAP,
                    center_symbols=('Li',))
    with pytest.raises(ValueError, match='lacks'):
        atomic_soap([Atoms('NaCl', positions=[[0, 0, 0], [2, 0, 0]], cell=[5, 5, 5], pbc=True)], SMALL_SOAP)
    with pytest.raises(ValueError, match='unit norm'):
        soap_kernel(np.array([[2.0, 0.0]]), np.array([[1.0, 0.0]]))


def test_kernel_and_distance_known_values():
    vectors = unit_vectors_at_angles([0.0, 60.0, 90.0])
    kernel = soap_kernel(vectors, vectors, zeta=2)
    assert kernel[0, 1] == pytest.approx(0.25)
    assert kernel[0, 2] == pytest.approx(0.0, abs=1e-15)
    distance = soap_distance(vectors, vectors, zeta=2)
    assert distance[0, 1] == pytest.approx(np.sqrt(1.5))
    assert distance[0, 2] == pytest.approx(np.sqrt(2.0))
    assert np.all(np.diag(distance) == 0.0)  # 2 - 2k slightly negative from round-off is clipped


def test_fps_on_points_on_a_line():
    line = np.arange(11.0)
    distances = np.abs(line[:, None] - line[None, :])
    assert farthest_point_sampling(distances, 4, start_index=0).tolist() == [0, 10, 5, 2]
    assert farthest_point_sampling(distances, 2, start_index=5).tolist() == [5, 0]
    # with 0 already chosen (e.g. the training set) the first new pick is the far end
    assert farthest_point_sampling(distances, 2, already_selected=[0]).tolist() == [10, 5]
    with pytest.raises(ValueError, match='n_select'):
        farthest_point_sampling(distances, 11, already_selected=[0])


def test_fps_on_corners_of_a_square_with_centre():
    points = np.array([[0.5, 0.5], [0, 0], [1, 0], [0, 1], [1, 1]])
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    selected = farthest_point_sampling(distances, 5, start_index=1)
    assert selected.tolist() == [1, 4, 2, 3, 0]  # a corner, its opposite, the other two, the centre last


def test_fps_on_descriptors_matches_matrix_version_and_uses_reference():
    vectors = unit_vectors_at_angles(np.arange(0.0, 91.0, 10.0))
    picked = farthest_point_sampling_on_descriptors(vectors, 3, zeta=1)
    assert picked.tolist() == [0, 9, 4]  # 0 deg, 90 deg, then 40 deg (ties go to the lower index)
    random_vectors = np.abs(np.random.default_rng(5).normal(size=(30, 5)))
    random_vectors /= np.linalg.norm(random_vectors, axis=1, keepdims=True)
    full = farthest_point_sampling(soap_distance(random_vectors, random_vectors, zeta=2), 8, start_index=3)
    lazy = farthest_point_sampling_on_descriptors(random_vectors, 8, zeta=2, start_index=3)
    assert lazy.tolist() == full.tolist()
    from_reference = farthest_point_sampling_on_descriptors(vectors, 2, zeta=1, reference_descriptors=vectors[:1])
    assert from_reference.tolist() == [9, 4]


def test_kernel_pca_two_points_hand_computed():
    # K = [[1, c^2], [c^2, 1]] with c = cos 60 deg; centred K = (1 - c^2)/2 [[1, -1], [-1, 1]]:
    # one eigenvalue 1 - c^2 with eigenvector (1, -1)/sqrt(2), so the coordinates are
    # +-sqrt((1 - c^2)/2) = +-sqrt(3/8), and their separation is the SOAP distance sqrt(2 - 2k).
    vectors = unit_vectors_at_angles([0.0, 60.0])
    coordinates = kernel_pca_map(vectors, zeta=2, n_components=1)
    assert np.abs(coordinates[:, 0]) == pytest.approx([np.sqrt(3 / 8)] * 2)
    assert coordinates[0, 0] == pytest.approx(-coordinates[1, 0])
    assert abs(coordinates[0, 0] - coordinates[1, 0]) == pytest.approx(soap_distance(vectors[:1], vectors[1:])[0, 0])


def test_kernel_pca_matches_eigendecomposition_of_centred_polynomial_kernel():
    rng = np.random.default_rng(7)
    vectors = np.abs(rng.normal(size=(6, 4)))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kernel = (vectors @ vectors.T) ** 2
    centring = np.eye(6) - np.full((6, 6), 1 / 6)
    eigenvalues, eigenvectors = np.linalg.eigh(centring @ kernel @ centring)
    expected = eigenvectors[:, ::-1][:, :2] * np.sqrt(eigenvalues[::-1][:2])
    coordinates = kernel_pca_map(vectors, zeta=2)
    signs = np.sign(np.sum(coordinates * expected, axis=0))
    assert np.allclose(coordinates * signs, expected, atol=1e-8)


def test_dissimilarity_is_zero_for_training_environments():
    crystal = rocksalt_lips()
    rattled = crystal.copy()
    rattled.rattle(0.3, rng=np.random.default_rng(1))
    training, new = atomic_soap([crystal, rattled], SMALL_SOAP)
    assert np.allclose(dissimilarity_from_reference(training, training), 0.0, atol=1e-7)
    expected = soap_distance(new, training).min(axis=1)
    assert np.allclose(dissimilarity_from_reference(new, training, chunk_size=3), expected)
    assert np.all(expected > 0)


def test_chemiscope_input_layout(tmp_path):
    frames = [rocksalt_lips(), rocksalt_lips(5.8)]
    path = write_chemiscope_input(
        tmp_path / 'map.json.gz',
        frames,
        structure_properties={'kPCA[1]': [0.1, -0.1]},
        atom_properties={'dissimilarity': np.arange(6.0)},
        environment_centers=[[1, 2, 3], [1, 2, 3]],
        name='test',
    )
    with gzip.open(path, 'rt') as handle:
        data = json.load(handle)
    assert data['meta']['name'] == 'test'
    assert data['structures'][1]['size'] == 8
    assert data['structures'][1]['cell'][0] == pytest.approx(5.8)
    assert data['structures'][0]['names'][:2] == ['P', 'Li']
    assert data['properties']['kPCA[1]'] == {'target': 'structure', 'values': [0.1, -0.1]}
    assert data['properties']['dissimilarity']['target'] == 'atom'
    assert data['environments'][3] == {'structure': 1, 'center': 1, 'cutoff': 6.0}
    with pytest.raises(ValueError, match='shape'):
        write_chemiscope_input(tmp_path / 'bad.json', frames, structure_properties={'e': [1.0]})
    with pytest.raises(ValueError, match='not an atom index'):
        write_chemiscope_input(tmp_path / 'bad.json', frames, atom_properties={'e': [1.0]},
                               environment_centers=[[8], []])


def test_kernel_pca_map_plot(tmp_path):
    from aiida_lps.plotting.similarity import SPECIES_MARKERS, plot_kernel_pca_map

    coordinates = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    figure = plot_kernel_pca_map(coordinates, ['Li', 'S', 'Li'], markers=SPECIES_MARKERS, path=tmp_path / 'map.png')
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == ['Li (2)', 'S (1)']
    assert (tmp_path / 'map.png').stat().st_size > 0
    with pytest.raises(ValueError, match='one label per point'):
        plot_kernel_pca_map(coordinates, ['Li'])


def test_core_modules_do_not_import_aiida():
    modules = ', '.join(
        f'aiida_lps.{name}'
        for name in ('analysis.soap', 'analysis.fingerprints', 'analysis.amorphisation', 'sampling.random_structures')
    )
    code = f'import sys, {modules}; assert "aiida" not in sys.modules, "aiida imported"'
    subprocess.run([sys.executable, '-c', code], check=True)
