"""Fitters of potential kinds, found through the entry-point group ``lps.potential_fitters``.

An entry point ``<kind> = 'module:OBJECT'`` names a ``PotentialFitter``: the process that fits the kind to a training
set (a calcfunction, a CalcJob on a code or a restart work chain), the data type it returns and the merger that checks
its hyperparameters. Work chains start every fit with ``PotentialFitter.launch`` and wait for the returned node.
``IterativeTrainingWorkChain`` fits its main potential with the ``gap`` fitter and offers ``<kind>_parameters`` and
``<kind>_potential`` for every other one, the ``md`` explorer ``potential: <kind>`` and
``PotentialDistillationWorkChain`` ``fast_kind: <kind>``: a new kind is its data module, its fitter and two entry
points (``aiida.data`` and this group), then ``pip install -e .``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from aiida import orm
from aiida.engine.utils import is_process_function

from aiida_lps.potentials.evaluate import metrics_against_labels

__all__ = ('FITTER_GROUP', 'PotentialFitter', 'fitted_potential', 'missing_reference_energies', 'potential_fitters',
           'potential_with_metrics', 'set_fit_job_options')

FITTER_GROUP = 'lps.potential_fitters'


@dataclass(frozen=True)
class PotentialFitter:
    """How to fit one potential kind.

    :param process: a calcfunction or a process class with the inputs ``training_set``, ``parameters`` (optional
        Dict), ``reference_energies`` (optional Dict: isolated-atom energies in eV) and, when ``runs_on`` is set,
        ``code`` (all under ``namespace`` if given), and the outputs ``potential`` (a ``data_type``) and ``metrics``
        (Dict: training-set RMSEs in meV/atom and eV/Angstrom, the keys of ``aiida_lps.analysis.errors.error_metrics``).
    :param data_type: the ``PotentialData`` subclass the fit returns.
    :param merge_hyperparameters: ``merge(overrides: dict | None) -> dict`` over the kind's defaults; raises
        ``ValueError`` on unknown or bad settings (port validators call it).
    :param weighs_by_source: whether the fit takes ``sigma_factors_by_source`` (per-label weights by ``source`` tag).
    :param runs_on: the program of the code the process runs (``'lmp'``, ``'gap_fit'``); None for a calcfunction,
        which runs in the calling work chain.
    :param namespace: the input namespace of ``process`` that holds these inputs (a restart work chain's), if any.
    """

    process: Callable
    data_type: type
    merge_hyperparameters: Callable[[dict | None], dict]
    weighs_by_source: bool = False
    runs_on: str | None = None
    namespace: str | None = None

    def inputs(self, training_set, parameters=None, reference_energies=None, code=None, **other) -> dict:
        """The inputs of ``process``: the given nodes (None left out) and ``other`` inputs of the fit."""
        given = {'training_set': training_set, 'parameters': parameters, 'reference_energies': reference_energies,
                 'code': code}
        inputs = {**other, **{name: node for name, node in given.items() if node is not None}}
        return {self.namespace: inputs} if self.namespace else inputs

    def launch(self, workchain, link_label: str, training_set, **kwargs):
        """Start the fit from ``workchain`` under ``link_label`` and return its node, for ``ToContext``: a
        calcfunction has run (and raised on failure), a process is submitted. ``kwargs`` go to ``inputs``."""
        inputs = {**self.inputs(training_set, **kwargs), 'metadata': {'call_link_label': link_label}}
        if is_process_function(self.process):
            return self.process.run_get_node(**inputs)[1]
        return workchain.submit(self.process, **inputs)


def fitted_potential(fit, data_type: type, training_set, parameters, reference_energies) -> dict:
    """The outputs of an in-process fit calcfunction: fit ``training_set`` with the core function ``fit``, store the
    files as ``data_type`` and evaluate them in LAMMPS on the training set.

    :param fit: ``fit(frames, hyperparameters, reference_energies=...)`` returning a model (see
        ``potential_with_metrics``).
    :param parameters: Dict of hyperparameter overrides, or None.
    :param reference_energies: Dict of isolated-atom energies (eV), or None.
    :return: ``potential`` and ``metrics`` (Dict).
    """
    frames = training_set.to_atoms()
    model = fit(frames, parameters.get_dict() if parameters is not None else None,
                reference_energies=reference_energies.get_dict() if reference_energies is not None else None)
    potential, metrics = potential_with_metrics(model, data_type, frames)
    return {'potential': potential, 'metrics': orm.Dict(metrics)}


def potential_with_metrics(model, data_type: type, frames) -> tuple:
    """A fitted ``model``'s files as a ``data_type`` node with its RMSEs in LAMMPS on the training ``frames``.

    :param model: has ``files()`` (texts in ``data_type``'s argument order), ``hyperparameters`` and ``calculator()``.
    :return: ``(potential, metrics)``, metrics in meV/atom and eV/Angstrom (``metrics_against_labels``).
    """
    metrics = metrics_against_labels(frames, model.calculator())
    return data_type(*model.files(), hyperparameters=model.hyperparameters, metrics=metrics), metrics


def set_fit_job_options(spec, parser_name: str, output_filename: str) -> None:
    """Defaults of a fit CalcJob's ``metadata.options``: one process without MPI, its parser and log file."""
    options = spec.inputs['metadata']['options']
    options['resources'].default = {'num_machines': 1, 'num_mpiprocs_per_machine': 1}
    options['withmpi'].default = False
    options['parser_name'].default = parser_name
    options['output_filename'].default = output_filename


def missing_reference_energies(inputs) -> str | None:
    """The validator message when the ``reference_energies`` of a fit's inputs miss an element of its training set."""
    if 'reference_energies' not in inputs:
        return None
    missing = sorted(set(inputs['training_set'].species) - set(inputs['reference_energies'].keys()))
    if not missing:
        return None
    return (f'reference_energies has no energy for {missing}: run IsolatedAtomEnergiesWorkChain '
            f'(lps.labelling.isolated_atoms) for every element of the training set')


@functools.cache
def potential_fitters() -> dict[str, PotentialFitter]:
    """The installed fitters by kind (entry-point name), sorted by kind."""
    found = {entry_point.name: entry_point.load() for entry_point in entry_points(group=FITTER_GROUP)}
    return dict(sorted(found.items()))
