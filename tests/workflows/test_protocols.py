"""Protocol overrides: a key the protocol does not have is refused with the valid ones, at any depth."""
import pytest

from aiida_lps.workflows.conductivity import ArrheniusWorkChain
from aiida_lps.workflows.labelling import DftLabellingWorkChain
from aiida_lps.workflows.study import LpsStudyWorkChain
from aiida_lps.workflows.training import IterativeTrainingWorkChain


def test_misspelled_override_is_refused_naming_the_valid_keys():
    with pytest.raises(ValueError, match=r"override\(s\) \['production'\]; valid: \[.*'production_ps'"):
        ArrheniusWorkChain.get_protocol_inputs('fast', {'production': 50.0})


def test_nested_misspelling_names_the_valid_keys_of_its_section():
    with pytest.raises(ValueError, match=r"\['conductivity.temperatures'\]; valid: \['conductivity.overrides', "
                                         r"'conductivity.protocol', 'conductivity.temperatures_K'\]"):
        LpsStudyWorkChain.get_protocol_inputs('fast', {'conductivity': {'temperatures': [600.0]}})


def test_free_form_settings_and_declared_extra_keys_pass():
    """Hyperparameter dicts (empty by default) take any keys; pw_base is read by the labelling builder."""
    inputs = IterativeTrainingWorkChain.get_protocol_inputs('fast', {'gap_parameters': {'soap': {'n_max': 4}}})
    assert inputs['gap_parameters']['soap'] == {'n_max': 4}
    inputs = DftLabellingWorkChain.get_protocol_inputs('fast', {'pw_base': {'pw': {'parameters': {}}}})
    assert 'pw_base' in inputs
