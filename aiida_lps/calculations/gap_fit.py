"""``GapFitCalculation`` (``lps.gap_fit``): fit a GAP with QUIP's ``gap_fit`` to a ``TrainingSetData``."""
from __future__ import annotations

import ase.io
from aiida import orm
from aiida.common import CalcInfo, CodeInfo
from aiida.engine import CalcJob

from aiida_lps.calculations.fitters import missing_reference_energies, set_fit_job_options
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.data.training_set import TrainingSetData, with_plain_labels
from aiida_lps.potentials.gap import (
    estimate_fit_memory_bytes,
    gap_fit_job,
    merge_hyperparameters,
)

__all__ = ('GapFitCalculation',)


def validate_inputs(inputs, _):
    """Refuse empty training sets, unknown hyperparameters, uncovered species and fits that cannot fit in memory."""
    training_set = inputs['training_set']
    if training_set.num_structures == 0:
        return 'the training set is empty: label some structures first'
    try:
        hyperparameters = merge_hyperparameters(inputs['parameters'].get_dict() if 'parameters' in inputs else None)
    except ValueError as exception:
        return str(exception)
    message = missing_reference_energies(inputs)
    if message:
        return message
    declared = hyperparameters['species']
    if declared is not None and set(training_set.species) - set(declared):
        extra = sorted(set(training_set.species) - set(declared))
        return f'the training set contains {extra}, which the hyperparameters (species={declared}) do not cover'
    options = inputs.get('metadata', {}).get('options', {})  # absent while a builder namespace is being filled
    memory_kb = options.get('max_memory_kb') or inputs['code'].computer.get_default_memory_per_machine()
    if memory_kb:
        needed = estimate_fit_memory_bytes(
            hyperparameters, training_set.num_structures, training_set.base.attributes.get('num_atoms'),
            len(training_set.species),
        )
        if needed > memory_kb * 1024:
            return (
                f'gap_fit would need about {needed / 2**30:.1f} GiB '
                f'but the computer offers {memory_kb / 2**20:.1f} GiB:'
                ' reduce n_sparse or the training set, or set metadata.options.max_memory_kb'
            )
    return None


class GapFitCalculation(CalcJob):
    """Fit a Gaussian Approximation Potential to energies and forces with ``gap_fit`` (one xml, no stress)."""

    _AT_FILE = 'train.xyz'
    _GP_FILE = 'gap.xml'
    _OUTPUT_FILE = 'gap_fit.out'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('training_set', valid_type=TrainingSetData, help='Labelled configurations (eV, eV/Angstrom).')
        spec.input(
            'parameters', valid_type=orm.Dict, required=False,
            help='Overrides of the thesis Table-1 hyperparameters (cutoffs in Angstrom, sigmas in eV/atom and '
            'eV/Angstrom); see aiida_lps.potentials.gap.DEFAULT_HYPERPARAMETERS.',
        )
        spec.input(
            'force_sigma', valid_type=orm.Dict, required=False,
            help='Force-dependent per-atom regularisation (thesis eq. 16): {"sigma_min": 0.01, "c": 0.1, "a": 0.01} '
            '(eV/Angstrom, eV/Angstrom, Angstrom/eV).',
        )
        spec.input(
            'reference_energies', valid_type=orm.Dict, required=False,
            help='Isolated-atom energy per element, eV (IsolatedAtomEnergiesWorkChain), subtracted before the fit '
            '(gap_fit e0); without it gap_fit subtracts one average energy per atom (e0_method).',
        )
        spec.input(
            'seed', valid_type=orm.Int, default=lambda: orm.Int(1),
            help='gap_fit rnd_seed (random choices of the fit): without it gap_fit seeds from the clock and two '
            'fits of the same data differ by about 1e-5 eV/atom.',
        )
        spec.inputs.validator = validate_inputs
        set_fit_job_options(spec, 'lps.gap_fit', cls._OUTPUT_FILE)

        spec.output('potential', valid_type=GapPotentialData, help='The fitted GAP.')
        spec.output('metrics', valid_type=orm.Dict, help='Training-set RMSEs (meV/atom, eV/Angstrom), per element.')
        spec.default_output_node = 'metrics'

        failed = {'invalidates_cache': True}  # 3xx: no usable output, never reuse it from the cache
        spec.exit_code(310, 'ERROR_OUTPUT_FILE_MISSING', message='gap_fit wrote no output log.', **failed)
        spec.exit_code(
            311, 'ERROR_POTENTIAL_MISSING', message='gap_fit finished without writing the GAP xml: {tail}', **failed
        )
        spec.exit_code(320, 'ERROR_GAP_FIT_ABORTED', message='gap_fit aborted: {message}', **failed)
        spec.exit_code(
            410, 'ERROR_OUT_OF_MEMORY',
            message='gap_fit ran out of memory: reduce n_sparse or the training set, or give it a bigger machine.',
        )

    def prepare_for_submission(self, folder):
        overrides = self.inputs.parameters.get_dict() if 'parameters' in self.inputs else None
        frames, arguments = gap_fit_job(
            with_plain_labels(self.inputs.training_set.to_atoms(), stress_key=None), merge_hyperparameters(overrides),
            self._AT_FILE, self._GP_FILE, self.inputs.seed.value,
            force_sigma=self.inputs.force_sigma.get_dict() if 'force_sigma' in self.inputs else None,
            e0=self.inputs.reference_energies.get_dict() if 'reference_energies' in self.inputs else None,
        )
        with folder.open(self._AT_FILE, 'w') as handle:
            ase.io.write(handle, frames, format='extxyz')

        codeinfo = CodeInfo()
        codeinfo.code_uuid = self.inputs.code.uuid
        codeinfo.cmdline_params = arguments
        codeinfo.stdout_name = self.metadata.options.output_filename
        codeinfo.join_files = True  # SYSTEM ABORT messages go to stderr

        calcinfo = CalcInfo()
        calcinfo.codes_info = [codeinfo]
        calcinfo.retrieve_list = [self.metadata.options.output_filename, self._GP_FILE]
        return calcinfo

