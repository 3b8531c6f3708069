"""The main job's console: which report lines it shows, and the headline lines of a study summary."""
import logging

from aiida_lps.cli.quickstart import HEADLINE_LINES, study_progress


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord('aiida', 25, __file__, 0, message, None, None)


def test_only_the_study_and_its_workflows_report_on_the_console():
    assert study_progress(record('[5|LpsStudyWorkChain|train]: step 1/4 training'))
    assert study_progress(record('[9|CompositionSweepWorkChain|analyse]: miscibility gap'))
    assert not study_progress(record('[7|PwBaseWorkChain|run_process]: launching PwCalculation<8> iteration #1'))
    assert study_progress(record('a warning that is no process report'))


def test_headline_lines_of_a_summary():
    glass = {'motif_fractions': {'mean': {'by_connectivity': {'PS4^3-': 0.75, 'P2S7^4-': 0.25, 'P2S6^4-': 0.0}}}}
    assert HEADLINE_LINES['glass'](glass) == ['P in motifs (by connectivity): PS4^3- 0.75, P2S7^4- 0.25']
    conductivity = {'activation_energy_eV': 0.312, 'activation_energy_err_eV': 0.021,
                    'conductivity_300K_S_per_cm': 1.234e-4, 'conductivity_300K_interval_S_per_cm': [2.1e-6, 7.3e-3],
                    'confidence': 0.95}
    assert HEADLINE_LINES['conductivity'](conductivity) == [
        'E_A = 0.312 +- 0.021 eV, sigma(300 K) = 0.000123 S/cm (95 % interval 2.1e-06 to 0.0073 S/cm)']
    assert HEADLINE_LINES['conductivity']({'exit_status': 410}) == []
    composition = {'structures': {'parent': {'x': 0.75, 'formation_energy_meV_per_atom': -216.44,
                                             'e_above_hull_meV_per_atom': 0.0}}}
    assert HEADLINE_LINES['composition'](composition) == [
        'parent               x = 0.750  E_f =  -216.4 meV/atom  E_above_hull =    0.0 meV/atom']
