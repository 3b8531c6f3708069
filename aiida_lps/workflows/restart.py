"""``LpsRestartWorkChain``: what aiida-lps's restart work chains share on top of aiida-core's ``BaseRestartWorkChain``.

A subclass names its CalcJob (``_process_class``), the namespace its inputs are exposed in (``_namespace``) and adds
``@process_handler`` methods for the failures it can fix, each with a priority above 0 and ``do_break``. A handler
that makes the run safer or cheaper calls ``rerun_with_parameters`` at most ``defaults['max_reductions']`` times
(``can_reduce``). A failure no handler fixes ends the work chain with exit 310 and the calculation's own status and
message, instead of aiida-core's generic 402.
"""
from __future__ import annotations

from aiida.common import AttributeDict
from aiida.engine import BaseRestartWorkChain, ProcessHandlerReport, process_handler, while_

__all__ = ('LpsRestartWorkChain',)


class LpsRestartWorkChain(BaseRestartWorkChain):
    """Run ``_process_class`` with the inputs of namespace ``_namespace`` until it succeeds or cannot be fixed."""

    _namespace: str

    #: ``max_reductions``: how many times handlers may change the ``parameters`` before they stop the work chain.
    defaults = {'max_reductions': 2}

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(cls._process_class, namespace=cls._namespace)
        spec.expose_outputs(cls._process_class)
        spec.outline(
            cls.setup,
            while_(cls.should_run_process)(
                cls.run_process,
                cls.inspect_process,
            ),
            cls.results,
        )
        spec.exit_code(310, 'ERROR_CALCULATION_FAILED',
                       message='{process}<{pk}> failed with exit status {status}: {message}')

    def setup(self):
        """The calculation's inputs, which handlers change between iterations, go to ``ctx.inputs``."""
        super().setup()
        self.ctx.inputs = AttributeDict(self.exposed_inputs(self._process_class, self._namespace))
        self.ctx.reductions = 0

    def can_reduce(self) -> bool:
        """Whether a handler may still change the parameters (``defaults['max_reductions']``)."""
        return self.ctx.reductions < self.defaults['max_reductions']

    def rerun_with_parameters(self, node, parameters: dict, change: str) -> ProcessHandlerReport:
        """Run again with ``parameters`` and report the ``change`` made after ``node``, with the reductions count."""
        self.ctx.inputs.parameters = parameters
        self.ctx.reductions += 1
        self.report(f'{self.ctx.process_name}<{node.pk}> {change} (reduction {self.ctx.reductions} of '
                    f'{self.defaults["max_reductions"]})')
        return ProcessHandlerReport(True)

    @process_handler(priority=0)
    def handle_unrecoverable_failure(self, node):
        """A failure no other handler fixed: stop with the calculation's exit status and message."""
        if not node.is_failed:
            return None
        return ProcessHandlerReport(True, self.exit_codes.ERROR_CALCULATION_FAILED.format(
            process=self.ctx.process_name, pk=node.pk, status=node.exit_status, message=node.exit_message))
