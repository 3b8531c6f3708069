"""Motif assignment recovers the crystals' anions; MSD isotropy and Pearson correlation known answers."""

import numpy as np
import pytest
from ase import Atoms

from aiida_lps.analysis.motifs import (CHAIN, MOTIF_LABELS, OTHER, assign_motifs_by_connectivity,
                                       assign_motifs_by_distance, motif_fractions, motif_property_correlation,
                                       msd_isotropy)
from aiida_lps.structures.building_blocks import HYPO, META, ORTHO, PYRO, get_building_block
from aiida_lps.structures.crystals import get_crystal

ASSIGNMENTS = (assign_motifs_by_distance, assign_motifs_by_connectivity)


def _in_box(name):
    block = get_building_block(name)
    return Atoms(block.symbols, positions=block.positions + 10.0, cell=np.eye(3) * 20.0, pbc=True)


@pytest.mark.parametrize('assign', ASSIGNMENTS)
@pytest.mark.parametrize('name', ['alpha-Li3PS4', 'beta-Li3PS4', 'gamma-Li3PS4', 'Li7PS6'])
def test_ortho_crystals_are_all_ortho(assign, name):
    assert motif_fractions(assign(get_crystal(name))) == {**dict.fromkeys(MOTIF_LABELS, 0.0), ORTHO: 1.0}


@pytest.mark.parametrize('assign', ASSIGNMENTS)
def test_li7p3s11_has_ortho_and_pyro_one_to_one(assign):
    # 1:1 by anion (Li7P3S11 = Li7(PS4)(P2S7)) is 1/3 : 2/3 by P atom
    fractions = motif_fractions(assign(get_crystal('Li7P3S11')))
    assert fractions[ORTHO] == pytest.approx(1 / 3)
    assert fractions[PYRO] == pytest.approx(2 / 3)


@pytest.mark.parametrize('assign', ASSIGNMENTS)
def test_li4p2s6_is_all_hypo(assign):
    assert motif_fractions(assign(get_crystal('Li4P2S6')))[HYPO] == 1.0


def test_p4s10_cages_are_neither_chains_nor_known_anions():
    assert set(assign_motifs_by_connectivity(get_crystal('P2S5'))) == {OTHER}


def test_connectivity_tells_meta_from_pyro_where_distance_cannot():
    meta = _in_box(META)
    assert list(assign_motifs_by_connectivity(meta)) == [META, META]
    assert list(assign_motifs_by_distance(meta)) == [PYRO, PYRO]
    for name, labels in ((ORTHO, [ORTHO]), (PYRO, [PYRO, PYRO]), (HYPO, [HYPO, HYPO])):
        assert list(assign_motifs_by_connectivity(_in_box(name))) == labels
        assert list(assign_motifs_by_distance(_in_box(name))) == labels


def test_corner_sharing_chain_and_overbonded_sulfur():
    # P-S-P-S-P zig-zag, bridging P-S 2.1 A; terminal S complete each tetrahedron only partly (irrelevant)
    phosphorus = [[0.0, 0.0, 0.0], [3.6, 0.0, 0.0], [7.2, 0.0, 0.0]]
    bridging = [[1.8, 1.05, 0.0], [5.4, 1.05, 0.0]]
    terminal = [[0.0, -1.2, 1.7], [3.6, -1.2, 1.7], [7.2, -1.2, 1.7]]
    chain = Atoms('P3S5', positions=np.array(phosphorus + bridging + terminal) + 5.0, cell=np.eye(3) * 20, pbc=True)
    assert list(assign_motifs_by_connectivity(chain)) == [CHAIN] * 3
    # one S bonded to three P
    star = Atoms('P3S', positions=np.array([[2.1, 0, 0], [-1.05, 1.82, 0], [-1.05, -1.82, 0], [0, 0, 0]]) + 5.0,
                 cell=np.eye(3) * 20, pbc=True)
    assert list(assign_motifs_by_connectivity(star)) == [OTHER] * 3


def test_a_phosphorus_that_lost_or_gained_sulfur_is_no_known_anion():
    ortho, hypo = _in_box(ORTHO), _in_box(HYPO)
    for broken in (ortho[:-1], ortho + Atoms('S', positions=[ortho.positions[0] + [0.0, 0.0, 2.1]]), hypo[:-1]):
        assert set(assign_motifs_by_connectivity(broken)) == {OTHER}


def test_motif_fractions_and_refusals():
    assert motif_fractions([ORTHO, PYRO, PYRO, HYPO]) == {**dict.fromkeys(MOTIF_LABELS, 0.0), ORTHO: 0.25, PYRO: 0.5,
                                                         HYPO: 0.25}
    with pytest.raises(ValueError, match='no P'):
        assign_motifs_by_distance(Atoms('Li2S', cell=np.eye(3) * 5, pbc=True))


def test_msd_isotropy():
    lags = np.arange(5.0)[:, None]
    isotropic = msd_isotropy(np.hstack([lags, lags, lags]))
    assert np.isnan(isotropic[0])
    np.testing.assert_allclose(isotropic[1:], 0.0)
    # x:y:z = 1:2:3 -> std/mean = sqrt(2/3)/2
    np.testing.assert_allclose(msd_isotropy(lags * [1.0, 2.0, 3.0])[1:], np.sqrt(2 / 3) / 2)
    with pytest.raises(ValueError, match='n_lags, 3'):
        msd_isotropy(np.ones((4, 2)))


def test_pearson_correlation():
    fraction = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert motif_property_correlation(fraction, 3 - 2 * fraction).coefficient == pytest.approx(-1.0)
    conductivity = np.array([2.0, 1.0, 4.0, 3.0, 5.0])
    result = motif_property_correlation(fraction, conductivity)
    assert result.coefficient == pytest.approx(np.corrcoef(fraction, conductivity)[0, 1])
    assert result.coefficient == pytest.approx(0.8)
    assert result.p_value == pytest.approx(0.1040, abs=1e-4)  # two-sided t-test, t = r sqrt(3) / sqrt(1 - r^2)
    with pytest.raises(ValueError, match='constant'):
        motif_property_correlation(fraction, np.ones(5))
    with pytest.raises(ValueError, match='at least 3'):
        motif_property_correlation(fraction[:2], conductivity[:2])


def test_plot_motif_fractions(tmp_path):
    from aiida_lps.plotting.glass import plot_motif_fractions

    ensembles = {'400 K': [motif_fractions([ORTHO, ORTHO, PYRO, PYRO]), motif_fractions([ORTHO] * 4)],
                 '700 K': [motif_fractions([ORTHO, HYPO, HYPO, PYRO])]}
    figure = plot_motif_fractions(ensembles, path=tmp_path / 'motifs.png')
    assert (tmp_path / 'motifs.png').stat().st_size > 0
    bars = figure.axes[0].patches
    assert len(bars) == 3 * 2  # PS4, P2S7, P2S6^4- for two ensembles
    assert [bar.get_height() for bar in bars[:2]] == pytest.approx([0.75, 0.25])


def test_atom_labels_resolve_p_and_s_by_motif():
    from aiida_lps.analysis.motifs import atom_motif_labels

    labels = atom_motif_labels(get_crystal('Li7P3S11'))
    assert set(labels) == {'Li', 'P in PS4^3-', 'P in P2S7^4-', 'S in PS4^3-', 'S in P2S7^4-'}
    assert list(labels).count('S in P2S7^4-') == 14 and list(labels).count('P in P2S7^4-') == 4
    assert set(atom_motif_labels(get_crystal('Li2S'))) == {'Li', 'S in S^2-'}
