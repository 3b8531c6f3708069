"""``GapFitBaseWorkChain`` (``lps.gap_fit_base``): a ``GapFitCalculation`` refitted with fewer sparse points when it
runs out of memory.

- out of memory (410, or the scheduler's 110): the fit again with the SOAP (or soap_turbo) ``n_sparse`` halved,
  reported, at most twice (``defaults``: a quarter of the sparse points in the end), then exit 311; a fit without a
  many-body descriptor has nothing to reduce and stops at once.
- anything else: exit 310 with the calculation's exit status and message.

``GAP_FITTER`` is the ``gap`` entry point of ``lps.potential_fitters``: a GAP is fitted through this work chain.
"""
from __future__ import annotations

from aiida.engine import ProcessHandlerReport, process_handler

from aiida_lps.calculations.fitters import PotentialFitter
from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.potentials.gap import fewer_sparse_points, many_body_sparse_points, merge_hyperparameters
from aiida_lps.workflows.restart import LpsRestartWorkChain

__all__ = ('GapFitBaseWorkChain', 'GAP_FITTER')


class GapFitBaseWorkChain(LpsRestartWorkChain):
    """A GAP fit that survives running out of memory; see the module docstring."""

    _process_class = GapFitCalculation
    _namespace = 'gap_fit'

    #: ``sparse_factor``: multiplies the many-body ``n_sparse`` after running out of memory, at most
    #: ``max_reductions`` times.
    defaults = {**LpsRestartWorkChain.defaults, 'sparse_factor': 0.5}

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.exit_code(311, 'ERROR_OUT_OF_MEMORY',
                       message='GapFitCalculation<{pk}> ran out of memory with n_sparse {n_sparse}: reduce the '
                       'training set or give gap_fit a machine with more memory')

    @process_handler(priority=500, exit_codes=[GapFitCalculation.exit_codes.ERROR_OUT_OF_MEMORY,
                                               GapFitCalculation.exit_codes.ERROR_SCHEDULER_OUT_OF_MEMORY])
    def handle_out_of_memory(self, node):
        """Fit again with ``sparse_factor`` times the many-body sparse points, or stop after the last try."""
        overrides = node.inputs.parameters.get_dict() if 'parameters' in node.inputs else {}
        before = many_body_sparse_points(overrides)
        if not before or not self.can_reduce():
            return ProcessHandlerReport(True, self.exit_codes.ERROR_OUT_OF_MEMORY.format(
                pk=node.pk, n_sparse=before or 'of the 2-body term only'))
        reduced = fewer_sparse_points(overrides, self.defaults['sparse_factor'])
        return self.rerun_with_parameters(
            node, reduced, f'ran out of memory: n_sparse {before} -> {many_body_sparse_points(reduced)}')


GAP_FITTER = PotentialFitter(GapFitBaseWorkChain, GapPotentialData, merge_hyperparameters, runs_on='gap_fit',
                             namespace='gap_fit')
