"""Linear SNAP fitted on LAMMPS ``compute snap`` descriptors, and the in-process LAMMPS calculator it runs in."""
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from aiida_lps.potentials.evaluate import metrics_against_labels, predict
from aiida_lps.potentials.lammps_library import LammpsPairCalculator
from aiida_lps.potentials.snap import (
    DEFAULT_SNAP_HYPERPARAMETERS,
    fit_snap,
    merge_snap_hyperparameters,
    model_from_files,
    n_bispectrum_components,
    read_snapcoeff,
    snap_descriptors,
    weighted_system,
)
from aiida_lps.potentials.gap import force_dependent_sigma


def _tilted(atoms):
    """A copy in a sheared cell, so that LAMMPS's rotated frame differs from ASE's."""
    tilted = atoms.copy()
    tilted.set_cell(atoms.cell.array + [[0.0, 0.0, 0.0], [0.7, 0.0, 0.3], [0.2, 0.5, 0.0]], scale_atoms=True)
    return tilted


@pytest.fixture
def morse_model(morse_labelled_frames):
    """A SNAP fitted to 30 Morse-labelled Li4PS3 cells, and 10 held-out cells from the same distribution."""
    frames = morse_labelled_frames(count=40, seed=1)
    return fit_snap(frames[:30]), frames[30:]


def test_lammps_calculator_reproduces_ase_lennard_jones():
    atoms = bulk('Cu', 'fcc', a=3.6).repeat((2, 2, 2))  # a cell shorter than the cutoff: LAMMPS needs ghost shells
    atoms.set_chemical_symbols(['Li', 'S'] * 4)
    atoms = _tilted(atoms)
    atoms.rattle(0.05, seed=2)
    reference = atoms.copy()
    reference.calc = LennardJones(sigma=2.0, epsilon=0.1, rc=5.0)  # energy shifted to zero at rc
    atoms.calc = LammpsPairCalculator(
        ['Li', 'S'], ['pair_style lj/cut 5.0', 'pair_coeff * * 0.1 2.0', 'pair_modify shift yes'], {}
    )
    assert atoms.get_potential_energy() == pytest.approx(reference.get_potential_energy(), abs=1e-10)
    np.testing.assert_allclose(atoms.get_forces(), reference.get_forces(), atol=1e-10)
    np.testing.assert_allclose(atoms.get_stress(), reference.get_stress(), atol=1e-10)
    np.testing.assert_allclose(atoms.get_potential_energies(), reference.get_potential_energies(), atol=1e-10)


def test_bispectrum_count_matches_lammps(morse_model):
    model, held_out = morse_model
    assert n_bispectrum_components(6) == 30
    assert n_bispectrum_components(8) == 55
    rows = snap_descriptors(held_out[:1], model.species, model.hyperparameters)[0]
    assert rows.energy.shape == (3 * 31,)
    assert rows.forces.shape == (3 * 8, 3 * 31)
    np.testing.assert_array_equal(rows.energy[::31], [4, 1, 3])  # the beta_0 columns count Li, P, S


def test_fit_reproduces_the_reference_on_held_out_frames(morse_model):
    model, held_out = morse_model
    metrics = metrics_against_labels(held_out, model.calculator())
    force_scale = np.sqrt(np.mean(np.concatenate([atoms.get_forces() for atoms in held_out]) ** 2))
    # measured: 0.010 eV/A of 0.085 eV/A RMS force, 0.7 meV/atom; the Morse tail reaches past the 5 A cutoff
    assert metrics['force_rmse_eV_per_A'] < 0.02
    assert metrics['force_rmse_eV_per_A'] < 0.25 * force_scale
    assert metrics['energy_rmse_meV_per_atom'] < 2.0
    assert set(metrics['force_rmse_by_element']) == {'Li', 'P', 'S'}


def test_pair_style_snap_equals_the_linear_model(morse_model):
    model, held_out = morse_model
    frames = [_tilted(atoms) for atoms in held_out[:3]]
    energies, forces = predict(frames, model.calculator())
    for index, rows in enumerate(snap_descriptors(frames, model.species, model.hyperparameters)):
        energy, force = model.predict_linear(rows)
        assert energy == pytest.approx(energies[index], abs=1e-8)
        np.testing.assert_allclose(force, forces[8 * index:8 * (index + 1)], atol=1e-8)


def test_virial_rows_give_the_pair_style_stress(morse_model):
    model, held_out = morse_model
    atoms = _tilted(held_out[0])
    atoms.calc = model.calculator()
    rows = snap_descriptors([atoms], model.species, model.hyperparameters)[0]
    stress = -(rows.virial @ model.coefficients.ravel()) / atoms.get_volume()
    np.testing.assert_allclose(stress, atoms.get_stress(), atol=1e-10)


def test_stresses_enter_the_fit_when_weighted(morse_labelled_frames):
    frames = morse_labelled_frames(count=12, seed=4)
    assert all('stress' in atoms.calc.results for atoms in frames)
    without = fit_snap(frames)
    with_stress = fit_snap(frames, {'virial_sigma_eV_per_atom': 0.01})

    def stress_rmse(model):
        errors = []
        for atoms in frames:
            copy = atoms.copy()
            copy.calc = model.calculator()
            errors.append(copy.get_stress() - atoms.get_stress())
        return float(np.sqrt(np.mean(np.square(errors))))

    assert stress_rmse(with_stress) < stress_rmse(without)


def test_force_dependent_sigma_weights_each_atom(morse_labelled_frames):
    frames = morse_labelled_frames(count=2, seed=6)
    settings = merge_snap_hyperparameters({'force_sigma': {'sigma_min': 0.01, 'c': 0.1, 'a': 0.01}})
    descriptors = snap_descriptors(frames, ['Li', 'P', 'S'], settings)
    matrix, target = weighted_system(frames, descriptors, settings)
    n_atoms = len(frames[0])
    sigma = np.repeat(force_dependent_sigma(frames[0].get_forces(), 0.01, 0.1, 0.01), 3)
    np.testing.assert_allclose(matrix[1:1 + 3 * n_atoms], descriptors[0].forces / sigma[:, None])
    np.testing.assert_allclose(target[1:1 + 3 * n_atoms], frames[0].get_forces().ravel() / sigma)
    with pytest.raises(ValueError, match='force_sigma must be a dict with keys among'):
        merge_snap_hyperparameters({'force_sigma': {'sigma': 0.1}})


def test_sigma_factor_by_source_scales_only_those_rows(morse_labelled_frames):
    """A ``source: gap`` frame with factor 4 has its energy and force rows divided by 4 more than a DFT frame."""
    frames = morse_labelled_frames(count=2, seed=7)
    frames[1].info['source'] = 'gap'
    plain = merge_snap_hyperparameters({})
    weighted = merge_snap_hyperparameters({'sigma_factors_by_source': {'gap': 4.0}})
    descriptors = snap_descriptors(frames, ['Li', 'P', 'S'], plain)
    matrix_plain, target_plain = weighted_system(frames, descriptors, plain)
    matrix, target = weighted_system(frames, descriptors, weighted)
    rows = 1 + 3 * len(frames[0])  # energy row and force rows of the first (morse) frame
    np.testing.assert_array_equal(matrix[:rows], matrix_plain[:rows])
    np.testing.assert_allclose(matrix[rows:], matrix_plain[rows:] / 4.0)
    np.testing.assert_allclose(target[rows:], target_plain[rows:] / 4.0)
    with pytest.raises(ValueError, match='sigma_factors_by_source must map source tags to positive factors'):
        merge_snap_hyperparameters({'sigma_factors_by_source': {'gap': 0.0}})


def test_snap_files_round_trip(morse_model):
    model, _ = morse_model
    parsed = read_snapcoeff(model.snapcoeff())
    assert parsed['species'] == ['Li', 'P', 'S']
    assert parsed['radii_A'] == DEFAULT_SNAP_HYPERPARAMETERS['radii_A']
    again = model_from_files(model.snapcoeff(), model.snapparam())
    np.testing.assert_array_equal(again.coefficients, model.coefficients)
    assert again.snapcoeff() == model.snapcoeff()
    assert again.snapparam() == model.snapparam()


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="unknown SNAP hyperparameter 'jmax'"):
        merge_snap_hyperparameters({'jmax': 3})
    with pytest.raises(ValueError, match=r"radii_A has no value for \['Na'\]"):
        merge_snap_hyperparameters(None, ['Li', 'Na'])
    with pytest.raises(ValueError, match='empty'):
        fit_snap([])
    with pytest.raises(ValueError, match='not a valid snapcoeff'):
        read_snapcoeff('1 31\nLi 2.5 1.0\n0.0\n')


def test_reference_energies_leave_the_model_unchanged(morse_model, morse_labelled_frames):
    """beta_I,0 are not penalised, so subtracting per-element references (1910 eV per Li4PS3 cell here) before the
    fit and adding them back to the intercepts gives the same potential."""
    model, held_out = morse_model
    references = {'Li': -190.0, 'P': -250.0, 'S': -300.0}
    shifted = fit_snap(morse_labelled_frames(count=40, seed=1)[:30], reference_energies=references)
    np.testing.assert_allclose(predict(held_out, shifted.calculator())[0], predict(held_out, model.calculator())[0],
                               rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"reference_energies has no energy for \['P', 'S'\]"):
        fit_snap(held_out, reference_energies={'Li': -190.0})
