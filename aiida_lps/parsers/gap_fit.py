"""Parser of ``lps.gap_fit``: the GAP xml as ``GapPotentialData`` and its training-set RMSEs."""
from __future__ import annotations

import io

from aiida import orm
from aiida.parsers import Parser

from aiida_lps.data.gap_potential import GapPotentialData, parse_gap_xml_header, quip_calculator
from aiida_lps.parsers.raw.gap_fit import parse_gap_fit_output
from aiida_lps.potentials.evaluate import metrics_against_labels
from aiida_lps.potentials.gap import merge_hyperparameters


class GapFitParser(Parser):
    """Turn the retrieved ``gap.xml`` into a ``GapPotentialData``; evaluate it on its own training set."""

    def parse(self, **kwargs):
        calc = self.node.process_class
        retrieved = self.retrieved
        try:
            log = retrieved.base.repository.get_object_content(calc._OUTPUT_FILE)
        except FileNotFoundError:
            return self.exit_codes.ERROR_OUTPUT_FILE_MISSING
        status = parse_gap_fit_output(log)
        if status['out_of_memory']:
            return self.exit_codes.ERROR_OUT_OF_MEMORY
        if status['abort_message']:
            return self.exit_codes.ERROR_GAP_FIT_ABORTED.format(message=status['abort_message'])
        if calc._GP_FILE not in retrieved.base.repository.list_object_names():
            tail = ' | '.join(log.strip().splitlines()[-3:])
            return self.exit_codes.ERROR_POTENTIAL_MISSING.format(tail=tail)

        inputs = self.node.inputs
        hyperparameters = merge_hyperparameters(inputs.parameters.get_dict() if 'parameters' in inputs else None)
        content = retrieved.base.repository.get_object_content(calc._GP_FILE, mode='rb')
        calculator = quip_calculator(content, parse_gap_xml_header(content.decode())['label'])
        metrics = metrics_against_labels(inputs.training_set.to_atoms(), calculator)
        potential = GapPotentialData(io.BytesIO(content), hyperparameters=hyperparameters, metrics=metrics)
        self.out('potential', potential)
        self.out('metrics', orm.Dict(metrics))
        return None
