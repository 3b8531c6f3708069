"""Parser of ``lps.pod_fit``: fitpod's coefficient file as ``PodPotentialData`` and its training-set RMSEs."""
from __future__ import annotations

from aiida import orm
from aiida.parsers import Parser

from aiida_lps.calculations.fitters import potential_with_metrics
from aiida_lps.data.pod_potential import PodPotentialData
from aiida_lps.parsers.raw.lammps import find_error
from aiida_lps.potentials.pod import FITPOD_COEFFICIENTS, pod_from_fitpod


class PodFitParser(Parser):
    """Turn the retrieved coefficients into a ``PodPotentialData``; evaluate it on its own training set."""

    def parse(self, **kwargs):
        repository = self.retrieved.base.repository
        try:
            log = repository.get_object_content(self.node.process_class._OUTPUT_FILE)
        except FileNotFoundError:
            return self.exit_codes.ERROR_OUTPUT_FILE_MISSING
        error = find_error(log)
        if error:
            return self.exit_codes.ERROR_LAMMPS_RUN.format(message=error)
        if FITPOD_COEFFICIENTS not in repository.list_object_names():
            return self.exit_codes.ERROR_COEFFICIENTS_MISSING.format(tail=' | '.join(log.strip().splitlines()[-3:]))

        inputs = self.node.inputs
        frames = inputs.training_set.to_atoms()
        try:
            model = pod_from_fitpod(
                repository.get_object_content(FITPOD_COEFFICIENTS), frames,
                inputs.parameters.get_dict() if 'parameters' in inputs else None,
                inputs.reference_energies.get_dict() if 'reference_energies' in inputs else None)
        except ValueError as exception:
            return self.exit_codes.ERROR_COEFFICIENTS_UNREADABLE.format(message=exception)
        potential, metrics = potential_with_metrics(model, PodPotentialData, frames)
        self.out('potential', potential)
        self.out('metrics', orm.Dict(metrics))
        return None
