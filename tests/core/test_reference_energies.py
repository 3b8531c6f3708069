"""Per-element reference energies: baselines subtracted before a fit, and gap_fit's e0 argument."""
import pytest
from ase import Atoms

from aiida_lps.potentials.gap import reference_energy_argument
from aiida_lps.potentials.reference_energies import reference_baselines


def test_baselines_sum_the_references_of_each_frame():
    frames = [Atoms('Li3PS4'), Atoms('Li2S')]
    references = {'Li': -200.0, 'P': -250.0, 'S': -280.0}
    assert reference_baselines(frames, ['Li', 'P', 'S'], references) == pytest.approx([-1970.0, -680.0])
    assert reference_baselines(frames, ['Li', 'P', 'S'], None) == pytest.approx([0.0, 0.0])
    with pytest.raises(ValueError, match=r"no energy for \['S'\]"):
        reference_baselines(frames, ['Li', 'P', 'S'], {'Li': -200.0, 'P': -250.0})


def test_gap_fit_e0_argument_lists_every_species():
    assert reference_energy_argument({'S': -281.5, 'Li': -200.25}) == 'e0={Li:-200.25:S:-281.5}'
