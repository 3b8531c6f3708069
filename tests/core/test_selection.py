"""Selection of candidates for DFT labelling: duplicates excluded, random reproducible, FPS and GAP variance rank."""
import numpy as np
import pytest
from ase.build import bulk

from aiida_lps.sampling.selection import (
    gap_uncertainty,
    known_configuration_mask,
    select_configurations,
    snapshot_run,
)

#: small SOAP settings: the 3-atom Li2S cell needs nothing finer to tell the candidates apart
SOAP = {'r_cut': 4.0, 'n_max': 4, 'l_max': 3, 'sigma': 0.5}


def _li2s(rattle_A=0.0, seed=0):
    atoms = bulk('SLi2', 'fluorite', a=5.71)
    if rattle_A:
        atoms.positions += np.random.default_rng(seed).normal(0.0, rattle_A, atoms.positions.shape)
    return atoms


def _soap():
    from aiida_lps.analysis.soap import SoapParameters

    return SoapParameters(**SOAP)


def test_known_configurations_are_recognised_exactly():
    reference = [_li2s(), _li2s(0.1, seed=1)]
    candidates = [_li2s(0.1, seed=1), _li2s(0.1, seed=2), _li2s()[[1, 0, 2]]]  # a copy, a new one, a reordering
    assert known_configuration_mask(candidates, reference).tolist() == [True, False, False]
    assert known_configuration_mask(candidates, []).tolist() == [False, False, False]


def test_random_selection_is_reproducible_and_skips_known_configurations():
    reference = [_li2s(0.1, seed=0)]
    candidates = [_li2s(0.1, seed=seed) for seed in range(6)]  # candidate 0 is already labelled
    first = select_configurations(candidates, reference, 'random', 3, rng=np.random.default_rng(7))
    again = select_configurations(candidates, reference, 'random', 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first.indices, again.indices)
    assert len(set(first.indices)) == 3 and 0 not in first.indices
    assert first.duplicates.tolist() == [0]
    assert np.isnan(first.scores).all()
    everything = select_configurations(candidates, reference, 'random', 50, rng=np.random.default_rng(7))
    assert sorted(everything.indices) == [1, 2, 3, 4, 5]
    assert select_configurations(candidates, reference, 'all', None).indices.tolist() == [1, 2, 3, 4, 5]


def test_farthest_point_sampling_picks_the_most_novel_first():
    reference = [_li2s(), _li2s(0.02, seed=9)]
    candidates = [_li2s(0.01, seed=1), _li2s(0.3, seed=2), _li2s(0.1, seed=3)]
    selection = select_configurations(candidates, reference, 'fps', 3, soap_parameters=_soap())
    assert selection.indices.tolist() == [1, 2, 0]  # the larger the rattle, the farther from the crystal
    assert selection.scores[0] > selection.scores[1] > selection.scores[2] > 0  # SOAP distances to the reference
    assert select_configurations(candidates, reference, 'fps', 1, soap_parameters=_soap()).indices.tolist() == [1]


def test_gap_variance_is_largest_far_from_the_training_data(tiny_gap_xml, morse_labelled_frames):
    from aiida_lps.data.gap_potential import parse_gap_xml_header, quip_calculator

    content = tiny_gap_xml.read_bytes()
    calculator = quip_calculator(content, parse_gap_xml_header(content.decode())['label'])
    calculator.calc_args = 'local_gap_variance'
    training = morse_labelled_frames(count=12)
    far = training[0].copy()
    far.rattle(0.4, seed=5)
    candidates = [training[1].copy(), far, training[2].copy()]
    deviations = gap_uncertainty(candidates, calculator)
    assert deviations[1] > 3 * max(deviations[0], deviations[2]) > 0  # eV
    selection = select_configurations(candidates, training[3:], 'uncertainty', 2, calculator=calculator)
    assert selection.indices[0] == 1
    np.testing.assert_allclose(selection.scores, deviations[selection.indices])
    # one pick of a run: the far frame, then the other run's frame, however uncertain the far frame's run-mate
    capped = select_configurations(candidates, training[3:], 'uncertainty', 2, calculator=calculator,
                                   groups=['md_600K', 'md_600K', 'md_900K'], max_per_group=1)
    assert capped.indices.tolist() == [1, 2]
    np.testing.assert_allclose(capped.scores, deviations[capped.indices])


def test_at_most_max_per_group_candidates_come_from_one_md_run():
    candidates = [_li2s(0.1, seed=seed) for seed in range(6)]
    labels = [f'md_li2s_{temperature}K_snapshot_{index}' for temperature in (600, 900) for index in range(2)]
    labels += ['rattled_0', 'rattled_1']
    runs = [snapshot_run(label) for label in labels]
    assert runs[:4] == ['md_li2s_600K'] * 2 + ['md_li2s_900K'] * 2 and runs[4:] == ['rattled_0', 'rattled_1']
    selection = select_configurations(candidates, [], 'random', 6, rng=np.random.default_rng(3), groups=runs,
                                      max_per_group=1)
    picked = [runs[index] for index in selection.indices]
    assert sorted(picked) == ['md_li2s_600K', 'md_li2s_900K', 'rattled_0', 'rattled_1']  # 4 runs: 4 of 6 asked
    assert np.isnan(selection.scores).all() and len(selection.scores) == 4


def test_bad_requests_are_refused():
    candidates = [_li2s(0.1, seed=1)]
    with pytest.raises(ValueError, match='unknown selection method'):
        select_configurations(candidates, [], 'best', 1)
    with pytest.raises(ValueError, match='count must be at least 1'):
        select_configurations(candidates, [], 'random', 0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match='random selection needs rng'):
        select_configurations(candidates, [], 'random', 1)
    with pytest.raises(ValueError, match='uncertainty selection needs a quippy GAP'):
        select_configurations(candidates, [], 'uncertainty', 1)
    with pytest.raises(ValueError, match='max_per_group applies to the methods random and uncertainty'):
        select_configurations(candidates, [], 'fps', 1, groups=['md_600K'], max_per_group=1)
    with pytest.raises(ValueError, match='one group per candidate'):
        select_configurations(candidates, [], 'random', 1, rng=np.random.default_rng(0), max_per_group=1)
