"""Partial RDFs and coordination numbers: against ase.geometry.rdf.get_rdf, an ideal gas and crystal counts."""

import numpy as np
import pytest
from ase import Atoms
from ase.geometry.rdf import get_rdf

from aiida_lps.analysis.rdf import average_partial_rdfs, coordination_number, partial_rdfs
from aiida_lps.structures.crystals import get_crystal


@pytest.mark.parametrize('name, repeat', [('beta-Li3PS4', (1, 2, 2)), ('Li7P3S11', (1, 2, 1))])
def test_partial_rdfs_agree_with_ase(name, repeat):
    # ASE needs r_max below half of every cell height, hence the supercell; same normalisation, no factor
    crystal = get_crystal(name).repeat(repeat)
    rdf = partial_rdfs(crystal, r_max=5.5, n_bins=110)
    assert set(rdf.g) == {('Li', 'Li'), ('Li', 'P'), ('Li', 'S'), ('P', 'P'), ('P', 'S'), ('S', 'S')}
    for (first, second), g in rdf.g.items():
        ase_g, ase_r = get_rdf(crystal, 5.5, 110, elements=(first, second))
        np.testing.assert_allclose(g, ase_g, rtol=0, atol=1e-6)
        np.testing.assert_allclose(rdf.r, ase_r)


def test_r_max_beyond_half_the_cell_uses_all_images():
    crystal = get_crystal('beta-Li3PS4')  # c = 6.1 A, so r_max = 6 A needs second images
    np.testing.assert_allclose(partial_rdfs(crystal, 6.0, 120).pair('S', 'S'),
                               partial_rdfs(crystal.repeat((1, 2, 2)), 6.0, 120).pair('S', 'S'), atol=1e-9)


def test_coordination_numbers_of_crystals():
    beta = partial_rdfs(get_crystal('beta-Li3PS4'), r_max=3.0, n_bins=60)
    at_bond_cutoff = np.searchsorted(beta.bin_edges[1:], 2.4)
    assert coordination_number(beta, 'P', 'S')[at_bond_cutoff] == pytest.approx(4.0)
    assert coordination_number(beta, 'S', 'P')[at_bond_cutoff] == pytest.approx(1.0)
    # Li7P3S11: 22 S of which 2 bridge two P: 24 P-S bonds over 22 S
    li7p3s11 = partial_rdfs(get_crystal('Li7P3S11'), r_max=3.0, n_bins=60)
    assert coordination_number(li7p3s11, 'P', 'S')[at_bond_cutoff] == pytest.approx(4.0)
    assert coordination_number(li7p3s11, 'S', 'P')[at_bond_cutoff] == pytest.approx(24 / 22)


def test_ideal_gas_tends_to_one():
    rng = np.random.default_rng(11)
    n_atoms, length, r_max = 500, 14.0, 6.0
    frames = [Atoms(['Li', 'S'] * (n_atoms // 2), positions=rng.uniform(0, length, (n_atoms, 3)),
                    cell=np.eye(3) * length, pbc=True) for _ in range(6)]
    rdf = partial_rdfs(frames, r_max=r_max, n_bins=20)
    far = rdf.r > 3.0
    # a = b misses the self pair: <g> = 1 - 1/N_a
    for pair, expected in {('Li', 'S'): 1.0, ('Li', 'Li'): 1 - 2 / n_atoms, ('S', 'S'): 1 - 2 / n_atoms}.items():
        assert np.mean(rdf.g[pair][far]) == pytest.approx(expected, abs=0.01)
        assert np.all(np.abs(rdf.g[pair][far] - expected) < 0.1)
    # coordination number of an ideal gas: rho_b * 4/3 pi r^3
    expected_neighbours = n_atoms / 2 / length**3 * 4 / 3 * np.pi * r_max**3
    assert coordination_number(rdf, 'Li', 'S')[-1] == pytest.approx(expected_neighbours, rel=0.02)


def test_time_and_ensemble_averages():
    crystal = get_crystal('beta-Li3PS4')
    shaken = crystal.copy()
    shaken.rattle(0.1, rng=np.random.default_rng(2))
    single, other = partial_rdfs(crystal, 5.0, 50), partial_rdfs(shaken, 5.0, 50)
    in_time = partial_rdfs([crystal, shaken], 5.0, 50)
    ensemble = average_partial_rdfs([single, other])
    for pair in single.g:
        np.testing.assert_allclose(in_time.g[pair], 0.5 * (single.g[pair] + other.g[pair]))
        np.testing.assert_allclose(ensemble.g[pair], in_time.g[pair])
    np.testing.assert_array_equal(partial_rdfs([crystal, crystal], 5.0, 50).g[('P', 'S')], single.g[('P', 'S')])
    with pytest.raises(ValueError, match='same bins'):
        average_partial_rdfs([single, partial_rdfs(crystal, 5.0, 40)])


def test_plot_partial_rdfs(tmp_path):
    from aiida_lps.plotting.glass import RDF_PAIRS, plot_partial_rdfs

    crystal = get_crystal('beta-Li3PS4')
    rdfs = {'beta': partial_rdfs(crystal, 6.0, 60), 'beta x2': partial_rdfs(crystal.repeat(2), 6.0, 60)}
    figure = plot_partial_rdfs(rdfs, path=tmp_path / 'rdf.png')
    assert (tmp_path / 'rdf.png').stat().st_size > 0
    assert [axes.get_title() for axes in figure.axes] == [f'{a}-{b}' for a, b in RDF_PAIRS]
    assert len(figure.axes[0].lines) == 2
