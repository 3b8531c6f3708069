"""Known-answer tests for aiida_lps.analysis.phase_guard: a quiet beta run stays beta, beta replaced by alpha is not."""
import numpy as np
import pytest

from aiida_lps.analysis.phase_guard import assess_phase, identify_phase, library_polymorphs
from aiida_lps.structures.crystals import get_crystal

N_FRAMES = 20


def by_species(atoms):
    """The atoms sorted by chemical symbol, so that two polymorphs share one symbol list."""
    return atoms[np.argsort(atoms.get_chemical_symbols(), kind='stable')]


def rattled_frames(structure, rng, n_frames, rattle_A):
    """Positions (n_frames, n_atoms, 3), Angstrom: independent Gaussian displacements of every atom."""
    return structure.positions + rng.normal(scale=rattle_A, size=(n_frames, len(structure), 3))


@pytest.fixture(scope='module')
def beta_and_alpha():
    """128-atom beta-Li3PS4 and an alpha-Li3PS4 cell of the same atoms squeezed into beta's volume."""
    beta = by_species(get_crystal('beta-Li3PS4').repeat((1, 2, 2)))
    alpha = by_species(get_crystal('alpha-Li3PS4').repeat((2, 1, 2)))
    alpha.set_cell(alpha.cell * (beta.get_volume() / alpha.get_volume())**(1 / 3), scale_atoms=True)
    assert beta.get_chemical_symbols() == alpha.get_chemical_symbols()
    return beta, alpha


def test_the_library_polymorphs_identify_themselves_and_a_glass_is_none():
    assert library_polymorphs(['Li'] * 3 + ['P', 'S', 'S', 'S', 'S']) == ['alpha-Li3PS4', 'beta-Li3PS4',
                                                                            'gamma-Li3PS4']
    for name in ('alpha-Li3PS4', 'beta-Li3PS4', 'gamma-Li3PS4'):
        assert identify_phase(get_crystal(name)) == name
    assert identify_phase(get_crystal('Li7P3S11')) is None  # nothing to tell it from in the library
    rng = np.random.default_rng(0)
    gas = get_crystal('beta-Li3PS4').repeat((1, 2, 2))
    gas.positions = rng.uniform(size=(len(gas), 3)) @ gas.cell.array  # no order at all
    assert identify_phase(gas) is None


@pytest.mark.parametrize('rattle_A', [0.1, 0.2])
def test_a_quiet_beta_run_stays_beta(beta_and_alpha, rattle_A):
    beta, _ = beta_and_alpha
    positions = rattled_frames(beta, np.random.default_rng(1), N_FRAMES, rattle_A)
    check = assess_phase(positions, beta.get_chemical_symbols(), beta.cell.array, beta)
    assert check.starting_phase == check.final_phase == 'beta-Li3PS4' and not check.changed
    assert check.reason.startswith('beta-Li3PS4 stayed (S-S RDF distance')
    assert min(check.distances, key=check.distances.get) == 'beta-Li3PS4'


@pytest.mark.parametrize('rattle_A', [0.1, 0.2])
def test_a_beta_cell_replaced_by_alpha_is_flagged(beta_and_alpha, rattle_A):
    beta, alpha = beta_and_alpha
    rng = np.random.default_rng(2)
    half = N_FRAMES // 2
    positions = np.concatenate([rattled_frames(beta, rng, half, rattle_A), rattled_frames(alpha, rng, half, rattle_A)])
    cells = np.concatenate([np.repeat(beta.cell.array[None], half, 0), np.repeat(alpha.cell.array[None], half, 0)])
    check = assess_phase(positions, beta.get_chemical_symbols(), cells, beta)
    assert check.changed and check.starting_phase == 'beta-Li3PS4' and check.final_phase == 'alpha-Li3PS4'
    assert check.distances['alpha-Li3PS4'] * 1.2 < check.distances['beta-Li3PS4']
    assert 'beta-Li3PS4 ended as alpha-Li3PS4' in check.reason
    # the first half alone, still beta, is not flagged
    assert not assess_phase(positions[:half], beta.get_chemical_symbols(), cells[:half], beta).changed
