"""``PodFitCalculation`` (``lps.pod_fit``): fit a POD with LAMMPS's ``fitpod`` to a ``TrainingSetData``.

The input files come from ``aiida_lps.potentials.pod.fitpod_input_files`` and the parser turns the coefficient file
into a ``PodPotentialData`` with ``pod_from_fitpod``; this class only moves them between the node and the folder.
"""
from __future__ import annotations

import io

from aiida import orm
from aiida.common import CalcInfo, CodeInfo
from aiida.engine import CalcJob

from aiida_lps.calculations.fitters import PotentialFitter, missing_reference_energies, set_fit_job_options
from aiida_lps.data.pod_potential import PodPotentialData
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.pod import FITPOD_COEFFICIENTS, FITPOD_SCRIPT, fitpod_input_files, merge_pod_hyperparameters

__all__ = ('PodFitCalculation', 'POD_FITTER')


def validate_inputs(inputs, _):
    """Refuse unknown or bad hyperparameters and reference energies missing an element."""
    try:
        merge_pod_hyperparameters(inputs['parameters'].get_dict() if 'parameters' in inputs else None)
    except ValueError as exception:
        return str(exception)
    return missing_reference_energies(inputs)


class PodFitCalculation(CalcJob):
    """Fit a linear POD to energies and forces with ``lmp`` running ``fitpod`` (one process, no MPI)."""

    _OUTPUT_FILE = 'fitpod.out'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('training_set', valid_type=TrainingSetData, help='Labelled configurations (eV, eV/Angstrom).')
        spec.input('parameters', valid_type=orm.Dict, required=False,
                   help='Overrides of aiida_lps.potentials.pod.DEFAULT_POD_HYPERPARAMETERS (rin and rcut in Angstrom, '
                   'basis sizes, ridge, energy and force weights).')
        spec.input('reference_energies', valid_type=orm.Dict, required=False,
                   help='Isolated-atom energy per element, eV (IsolatedAtomEnergiesWorkChain), subtracted before the '
                   'fit; without it one mean energy per atom is.')
        spec.inputs.validator = validate_inputs
        set_fit_job_options(spec, 'lps.pod_fit', cls._OUTPUT_FILE)

        spec.output('potential', valid_type=PodPotentialData, help='The fitted POD.')
        spec.output('metrics', valid_type=orm.Dict,
                    help='Training-set RMSEs of pair_style pod with the fitted files (meV/atom, eV/Angstrom).')
        spec.default_output_node = 'metrics'

        failed = {'invalidates_cache': True}  # 3xx: no usable output, never reuse it from the cache
        spec.exit_code(310, 'ERROR_OUTPUT_FILE_MISSING', message='LAMMPS wrote no output log.', **failed)
        spec.exit_code(311, 'ERROR_COEFFICIENTS_MISSING',
                       message='fitpod finished without writing the coefficient file: {tail}', **failed)
        spec.exit_code(312, 'ERROR_COEFFICIENTS_UNREADABLE', message='fitpod\'s coefficient file: {message}', **failed)
        spec.exit_code(320, 'ERROR_LAMMPS_RUN', message='LAMMPS stopped with an error: {message}', **failed)

    def prepare_for_submission(self, folder):
        inputs = self.inputs
        files = fitpod_input_files(
            inputs.training_set.to_atoms(), inputs.parameters.get_dict() if 'parameters' in inputs else None,
            inputs.reference_energies.get_dict() if 'reference_energies' in inputs else None)
        for name, text in files.items():
            if '/' in name:
                folder.get_subfolder(name.rsplit('/', 1)[0], create=True)
            folder.create_file_from_filelike(io.StringIO(text), name, mode='w')

        codeinfo = CodeInfo()
        codeinfo.code_uuid = inputs.code.uuid
        codeinfo.cmdline_params = ['-in', FITPOD_SCRIPT, '-log', 'none', '-nocite']
        codeinfo.stdout_name = self.metadata.options.output_filename
        codeinfo.join_files = True

        calcinfo = CalcInfo()
        calcinfo.codes_info = [codeinfo]
        calcinfo.retrieve_list = [self.metadata.options.output_filename, FITPOD_COEFFICIENTS]
        return calcinfo


#: The ``pod`` entry point of ``lps.potential_fitters``: fitpod weighs every configuration alike.
POD_FITTER = PotentialFitter(PodFitCalculation, PodPotentialData, merge_pod_hyperparameters, runs_on='lmp')
