"""Stability checks of benchmarks/stability.py against known answers."""
import pytest
from ase import Atoms

from aiida_lps.analysis.stability import (
    anion_summary,
    closest_pair_over_frames,
    stability_verdict,
)
from aiida_lps.structures.crystals import get_crystal


def pair(distance_A: float) -> Atoms:
    return Atoms('LiS', positions=[[0, 0, 0], [distance_A, 0, 0]], cell=[10, 10, 10], pbc=True)


def test_closest_pair_is_the_shortest_over_all_frames_with_its_frame():
    assert closest_pair_over_frames([pair(2.4), pair(1.5), pair(2.0)]) == (pytest.approx(1.5), 1)
    assert closest_pair_over_frames([pair(9.0)])[0] == pytest.approx(1.0)  # the periodic image, 10 - 9 A
    assert closest_pair_over_frames([pair(5.0)], cutoff_A=3.0) == (3.0, 0)  # nothing within the cutoff


def test_beta_li3ps4_has_four_ps_bonds_per_p_all_in_ps4():
    summary = anion_summary(get_crystal('beta-Li3PS4'))
    assert summary['ps_bonds'] == 4 * 4  # 4 P in the 32-atom cell
    assert summary['motif_fractions']['PS4^3-'] == 1.0


@pytest.mark.parametrize(('mean_K', 'ok'), [(314.9, True), (285.1, True), (315.1, False), (284.9, False)])
def test_temperature_within_5_percent(mean_K, ok):
    start = anion_summary(get_crystal('beta-Li3PS4'))
    verdict = stability_verdict(lost_atoms=False, closest_pair_A=1.7, mean_temperature_K=mean_K,
                                target_temperature_K=300.0, start=start, end=start)
    assert verdict['temperature_ok'] is ok and verdict['holds'] is ok


def test_broken_bonds_a_close_pair_and_lost_atoms_fail():
    start = anion_summary(get_crystal('beta-Li3PS4'))
    end = {**start, 'ps_bonds': start['ps_bonds'] - 1}
    verdict = stability_verdict(lost_atoms=False, closest_pair_A=1.59, mean_temperature_K=300.0,
                                target_temperature_K=300.0, start=start, end=end)
    assert (verdict['closest_pair_ok'], verdict['ps_bonds_intact'], verdict['motifs_unchanged']) == (False, False, True)
    lost = stability_verdict(lost_atoms=True, closest_pair_A=None, mean_temperature_K=None,
                             target_temperature_K=300.0, start=start, end=None)
    assert lost == {'no_lost_atoms': False, 'closest_pair_ok': None, 'temperature_ok': None, 'ps_bonds_intact': None,
                    'motifs_unchanged': None, 'holds': False}
