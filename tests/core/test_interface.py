"""Interface builder (slab, glass in the void, assembly) and the sintering schedule, with the overlap cleaner.

Known answers: the interplanar spacing of an orthorhombic cell, d_hkl = 1 / sqrt((h/a)^2 + (k/b)^2 + (l/c)^2);
a slab that is a whole number of periods thick along a cell axis, made periodic again, is the bulk crystal;
the glass density and composition follow from the void; the thesis' sintering protocol (Fig. 29).
"""

from ase.data import atomic_masses, atomic_numbers
from ase.neighborlist import neighbor_list
import numpy as np
import pytest

from aiida_lps.analysis.amorphisation import crystallinity_profile
from aiida_lps.sampling.glass import GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3
from aiida_lps.sampling.overlap_relax import relax_overlaps
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.structures.interface import (
    INTERFACE_PART_ARRAY,
    THESIS_FACETS,
    build_interface,
    crystal_slab,
    glass_formula_units,
    sintering_schedule,
)

BETA = get_crystal('beta-Li3PS4')
LI3PS4_MASS = 3 * atomic_masses[3] + atomic_masses[15] + 4 * atomic_masses[16]


def interplanar_spacing(miller_index, cell_lengths):
    return 1.0 / np.sqrt(sum((index / length) ** 2 for index, length in zip(miller_index, cell_lengths)))


def bonded_sulfur_per_phosphorus(atoms, pbc):
    periodic = atoms.copy()
    periodic.pbc = pbc
    first, second = neighbor_list('ij', periodic, 2.3)
    symbols = np.array(atoms.get_chemical_symbols())
    phosphorus_sulfur = (symbols[first] == 'P') & (symbols[second] == 'S')
    return np.bincount(first[phosphorus_sulfur], minlength=len(atoms))[symbols == 'P']


@pytest.mark.parametrize('miller_index', THESIS_FACETS)
def test_slab_is_whole_units_of_exact_composition(miller_index):
    slab = crystal_slab(BETA, miller_index, (1, 2, 1))
    d_hkl = interplanar_spacing(miller_index, BETA.cell.lengths())
    assert slab.info['layer_spacing_A'] == pytest.approx(d_hkl)
    assert slab.cell[2] == pytest.approx([0.0, 0.0, 2 * d_hkl])  # doubled along the normal, normal along z
    assert np.allclose(slab.cell[:2, 2], 0.0)
    assert slab.get_chemical_formula() == 'Li48P16S64'  # 1 x 2 x (2 x 1) surface cells of Li12P4S16
    # no PS4 is cut, even with the slab's z periodicity switched off
    assert np.all(bonded_sulfur_per_phosphorus(slab, (True, True, False)) == 4)


def test_slab_along_a_cell_axis_rebuilds_the_bulk():
    slab = crystal_slab(BETA, (0, 1, 0), (1, 1, 1))
    bulk = BETA.repeat((1, 2, 1))

    def sorted_distances(atoms):
        return np.sort(neighbor_list('d', atoms, 4.0))

    assert np.allclose(sorted_distances(slab), sorted_distances(bulk), atol=1e-6)


def test_glass_formula_units_fill_the_void_at_the_density():
    volume = 8 * LI3PS4_MASS / (1.8 / GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3)
    assert glass_formula_units('Li3PS4', volume, 1.8) == 8
    assert glass_formula_units('Li3PS4', 1.06 * volume, 1.8) == 8
    # x = 0.7 (Li1.4 P0.6 S2.2, 98.8 amu) comes in whole atoms only for multiples of 5 units: 14.6 ideal -> 15
    assert glass_formula_units(0.7, volume, 1.8) == 15


@pytest.fixture(scope='module')
def interface():
    return build_interface(BETA, (0, 1, 0), (2, 1, 1), relax_overlaps, seed=3)


def test_interface_composition_neutrality_and_density(interface):
    info = interface.info['interface']
    crystal = interface.arrays[INTERFACE_PART_ARRAY] == 0
    symbols = np.array(interface.get_chemical_symbols())
    counts = {element: int(np.sum(symbols[crystal] == element)) for element in ('Li', 'P', 'S')}
    assert counts == {'Li': 48, 'P': 16, 'S': 64} == info['crystal_counts']
    glass_counts = {element: int(np.sum(symbols[~crystal] == element)) for element in ('Li', 'P', 'S')}
    n_units = info['glass_formula_units']
    assert glass_counts == {'Li': 3 * n_units, 'P': n_units, 'S': 4 * n_units} == info['glass_counts']
    assert glass_counts['Li'] + 5 * glass_counts['P'] - 2 * glass_counts['S'] == 0  # Li+ P5+ S2-: neutral
    area = np.linalg.norm(np.cross(interface.cell[0], interface.cell[1]))
    assert area == pytest.approx(2 * BETA.cell[2, 2] * BETA.cell[0, 0])  # (010): 2c x a in plane
    glass_mass = sum(atomic_masses[atomic_numbers[symbol]] for symbol in symbols[~crystal])
    density = glass_mass / (area * info['glass_thickness_A']) * GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3
    assert density == pytest.approx(1.8, rel=1e-9) == info['glass_density_g_cm3']
    assert interface.cell[2, 2] == pytest.approx(info['crystal_thickness_A'] + info['glass_thickness_A'])
    # the void is as thick as the slab, to within one formula unit of glass
    unit_thickness = LI3PS4_MASS / (1.8 / GRAMS_PER_CM3_PER_AMU_PER_ANGSTROM3) / area
    assert abs(info['glass_thickness_A'] - info['crystal_thickness_A']) <= unit_thickness / 2
    assert info['glass_compression_steps'] > 0


def test_interface_has_no_impossible_contacts_and_whole_units(interface):
    first, second, distances = neighbor_list('ijd', interface, 2.0)
    assert len(distances) == 0  # nothing closer than 2 A (the shortest bond, P-S, is 2.05 A)
    assert np.all(bonded_sulfur_per_phosphorus(interface, (True, True, True)) == 4)


def test_crystal_stays_ordered_and_glass_is_not(interface):
    # S sublattice (the glass's P still sits near its placement grid before MD); one slice per layer
    n_slices = round(interface.cell[2, 2] / interface.info['interface']['layer_spacing_A'])
    profile = crystallinity_profile([interface], n_slices, symbol='S')
    crystal_slices = profile.slice_centres < interface.info['interface']['crystal_thickness_A']
    assert profile.crystallinity[crystal_slices].min() > 0.8
    assert profile.crystallinity[~crystal_slices].max() < 0.4


def test_a_relaxation_that_merges_atoms_is_refused():
    def collapse(atoms):
        merged = atoms.copy()
        merged.positions[1] = merged.positions[0] + [0.3, 0.0, 0.0]
        return merged

    with pytest.raises(RuntimeError, match='0.30 A apart .* collapsed'):
        build_interface(BETA, (0, 0, 1), (1, 1, 1), collapse, seed=1)


def test_thesis_sintering_schedule():
    steps = sintering_schedule(300, 1000, 300, heating_step_ps=5.0, first_cooling_step_ps=3.5)
    temperatures = [step.temperature_K for step in steps]
    assert temperatures == [300, 400, 500, 600, 700, 800, 900, 1000, 900, 800, 700, 600, 500, 400, 300]
    durations = np.array([step.duration_ps for step in steps])
    assert np.allclose(durations[:8], 5.0)
    assert np.allclose(durations[9:] / durations[8:-1], 1.5)  # each cooling step 1.5 x the previous
    assert durations.sum() == pytest.approx(40 + 3.5 * (1.5**7 - 1) / 0.5)  # 152.6 ps, the thesis' ~150 ps


def test_sintering_schedule_refuses_temperatures_off_the_ladder():
    with pytest.raises(ValueError, match='whole number of 100'):
        sintering_schedule(300, 950, 300, heating_step_ps=1.0, first_cooling_step_ps=1.0)
    with pytest.raises(ValueError, match='below the maximum'):
        sintering_schedule(300, 300, 300, heating_step_ps=1.0, first_cooling_step_ps=1.0)
