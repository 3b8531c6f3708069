"""``DftLabellingWorkChain`` (``lps.labelling.dft``): Quantum ESPRESSO single points for many structures.

Every structure runs in its own ``PwBaseWorkChain`` (which restarts failed SCFs); the converged ones become one
``TrainingSetData``. Failed or unconverged calculations are excluded, counted and reported, never added.
"""
from __future__ import annotations

import re

import numpy as np
from aiida import orm
from aiida.engine import WorkChain
from aiida.plugins import GroupFactory
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_lps.calculations.functions.training_set_from_pw import training_set_from_pw
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.query import training_set_lineage
from aiida_lps.workflows.protocols import ProtocolMixin, recursive_merge

__all__ = ('DftLabellingWorkChain', 'closest_pair', 'label_settings_mismatch')


def closest_pair(structure: orm.StructureData) -> tuple[float, tuple[int, int]]:
    """Shortest interatomic distance (Angstrom, periodic images included) and the pair of site indices."""
    atoms = structure.get_ase()
    if len(atoms) < 2:
        return np.inf, (0, 0)
    distances = atoms.get_all_distances(mic=True)
    np.fill_diagonal(distances, np.inf)
    i, j = np.unravel_index(np.argmin(distances), distances.shape)
    return float(distances[i, j]), (int(i), int(j))


def validate_structures(structures, _):
    if not structures:
        return 'no structures to label'
    return None


def validate_inputs(inputs, _):
    """Refuse structures with atoms closer than ``min_distance``: pw.x would waste hours on them or crash."""
    min_distance = inputs['min_distance'].value
    for label, structure in inputs['structures'].items():
        distance, (i, j) = closest_pair(structure)
        if distance < min_distance:
            return (
                f'structure `{label}` has sites {i} and {j} only {distance:.3f} Angstrom apart (< min_distance '
                f'{min_distance} Angstrom): fix or drop it before DFT'
            )
    return None


class DftLabellingWorkChain(ProtocolMixin, WorkChain):
    """Label structures with DFT energies (eV), forces (eV/Angstrom) and stresses (eV/Angstrom^3)."""

    _protocol_file = 'labelling.yaml'
    _protocol_extra_keys = ('pw_base',)

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(
            PwBaseWorkChain, namespace='pw_base', exclude=('pw.structure', 'pw.pseudos', 'clean_workdir'),
            namespace_options={'help': 'Inputs of the PwBaseWorkChain run for every structure.'},
        )
        # A pw.x run that fails with no handler for its exit code (job cancelled with scancel, killed by the
        # scheduler, node lost) runs once more unchanged before the structure is left out; aiida-core's default aborts.
        spec.inputs['pw_base']['on_unhandled_failure'].default = lambda: orm.Str('restart_once')
        spec.input_namespace(
            'structures', valid_type=orm.StructureData, dynamic=True, validator=validate_structures,
            help='Structures to label, keyed by a label that is kept as the `label` tag.',
        )
        spec.input('pseudo_family', valid_type=orm.Str, help='Label of an aiida-pseudo family with cutoffs.')
        spec.input(
            'cutoff_stringency', valid_type=orm.Str, default=lambda: orm.Str('normal'),
            help='Stringency of the family recommended cutoffs used unless pw parameters set ecutwfc/ecutrho.',
        )
        spec.input(
            'min_distance', valid_type=orm.Float, default=lambda: orm.Float(0.5),
            help='Shortest allowed interatomic distance, Angstrom.',
        )
        spec.input('tags', valid_type=orm.Dict, required=False, help='Tags added to every labelled configuration.')
        spec.inputs.validator = validate_inputs
        spec.outline(cls.run_pw, cls.collect)
        spec.output('training_set', valid_type=TrainingSetData, help='The converged labels.')
        spec.output('summary', valid_type=orm.Dict, help='Counts of labelled and failed structures, with reasons.')
        spec.exit_code(
            310, 'ERROR_ALL_PW_FAILED', message='No structure could be labelled: every PwBaseWorkChain failed.'
        )

    @classmethod
    def get_builder_from_protocol(cls, code, structures: dict, protocol: str | None = None, overrides=None,
                                  options: dict | None = None):
        """Builder for ``structures`` (label -> ``StructureData``) with the ``fast`` or ``precise`` protocol.

        :param overrides: protocol keys (``cutoff_stringency``, ``kpoints_distance`` in 1/Angstrom, ...) and a
            ``pw_base`` dict merged into the PwBaseWorkChain inputs.
        :param options: ``metadata.options`` of every PwCalculation (e.g. resources).
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        family = GroupFactory('pseudo.family').collection.get(label=inputs['pseudo_family'])
        first = next(iter(structures.values()))
        wallclock = {'max_wallclock_seconds': inputs['max_wallclock_seconds']}
        pw_overrides = recursive_merge(
            {
                'pseudo_family': family.label,
                'kpoints_distance': inputs['kpoints_distance'],
                'meta_parameters': {'conv_thr_per_atom': inputs['conv_thr_per_atom']},
                'pw': {'parameters': {'SYSTEM': _cutoffs(family, first, inputs['cutoff_stringency'])}},
            },
            inputs.get('pw_base', {}),
        )
        pw_builder = PwBaseWorkChain.get_builder_from_protocol(
            code, first, protocol='fast', overrides=pw_overrides, options={**wallclock, **(options or {})}
        )
        pw_builder.pw.pop('structure')
        pw_builder.pw.pop('pseudos')
        pw_builder.pop('clean_workdir', None)

        builder = cls.get_builder()
        builder.pw_base = pw_builder._inputs(prune=True)
        builder.structures = structures
        builder.pseudo_family = orm.Str(family.label)
        builder.cutoff_stringency = orm.Str(inputs['cutoff_stringency'])
        builder.min_distance = orm.Float(inputs['min_distance'])
        return builder

    def run_pw(self):
        """Submit one PwBaseWorkChain per structure, all at once."""
        family = GroupFactory('pseudo.family').collection.get(label=self.inputs.pseudo_family.value)
        for label, structure in self.inputs.structures.items():
            inputs = self.exposed_inputs(PwBaseWorkChain, namespace='pw_base')
            inputs['pw']['structure'] = structure
            inputs['pw']['pseudos'] = family.get_pseudos(structure=structure)
            parameters = inputs['pw']['parameters'].get_dict()
            if not {'ecutwfc', 'ecutrho'} <= set(parameters.get('SYSTEM', {})):
                parameters.setdefault('SYSTEM', {}).update(
                    _cutoffs(family, structure, self.inputs.cutoff_stringency.value)
                )
                inputs['pw']['parameters'] = orm.Dict(parameters)
            self.adapt_pw_inputs(structure, inputs)
            inputs['metadata'] = {'call_link_label': f'pw_{label}'}
            future = self.submit(PwBaseWorkChain, **inputs)
            self.report(f'launched PwBaseWorkChain<{future.pk}> for `{label}` ({len(structure.sites)} atoms)')
            self.to_context(**{f'pw_{label}': future})

    def adapt_pw_inputs(self, structure: orm.StructureData, inputs: dict) -> None:
        """Change the PwBaseWorkChain ``inputs`` of ``structure`` in place; labels of condensed phases need nothing."""

    def collect(self):
        """Gather converged labels into one TrainingSetData; report and count the failures."""
        labelled, failed = {}, {}
        for label in self.inputs.structures:
            child = self.ctx[f'pw_{label}']
            if child.is_finished_ok:
                labelled[label] = child
            else:
                failed[label] = f'PwBaseWorkChain<{child.pk}> exit {child.exit_status}: {child.exit_message}'
                self.report(f'excluded `{label}`: {failed[label]}')
        summary = {'n_structures': len(self.inputs.structures), 'n_labelled': len(labelled),
                   'n_failed': len(failed), 'failed': failed}
        self.report(f'labelled {len(labelled)} of {len(self.inputs.structures)} structures, {len(failed)} failed')
        if not labelled:
            self.out('summary', orm.Dict(summary).store())
            return self.exit_codes.ERROR_ALL_PW_FAILED
        kwargs = {}
        for label, child in labelled.items():
            kwargs[f'structure_{label}'] = self.inputs.structures[label]
            kwargs[f'parameters_{label}'] = child.outputs.output_parameters
            kwargs[f'trajectory_{label}'] = child.outputs.output_trajectory
        if 'tags' in self.inputs:
            kwargs['tags'] = self.inputs.tags
        self.out('training_set', training_set_from_pw(**kwargs))
        self.out('summary', orm.Dict(summary).store())
        return None


#: pw.x SYSTEM settings that change the labels (energies, forces): labels agree only where these agree.
LABEL_SYSTEM_KEYS = ('ecutwfc', 'ecutrho', 'occupations', 'smearing', 'degauss', 'nspin', 'input_dft')


def label_settings_of(calculation: orm.CalcJobNode) -> dict:
    """What a PwCalculation labelled with: ``LABEL_SYSTEM_KEYS`` (cutoffs in Ry), the k-point spacing of its
    PwBaseWorkChain (1/Angstrom, None for an explicit mesh) and the md5 of each element's pseudopotential."""
    caller = calculation.caller
    return _label_settings(
        calculation.inputs.parameters.get_dict().get('SYSTEM', {}),
        caller.inputs.kpoints_distance.value if caller and 'kpoints_distance' in caller.inputs else None,
        {pseudo.element: pseudo.md5 for pseudo in calculation.inputs.pseudos.values()})


def intended_label_settings(labelling, elements) -> dict:
    """What ``DftLabellingWorkChain`` inputs ``labelling`` (all but ``structures``) would label ``elements`` with,
    in the form of :func:`label_settings_of`."""
    family = GroupFactory('pseudo.family').collection.get(label=labelling['pseudo_family'].value)
    pw_base = labelling['pw_base']
    system = dict(pw_base['pw']['parameters'].get_dict().get('SYSTEM', {}))
    if not {'ecutwfc', 'ecutrho'} <= set(system):
        stringency = labelling['cutoff_stringency'].value if 'cutoff_stringency' in labelling else 'normal'
        ecutwfc, ecutrho = family.get_recommended_cutoffs(elements=list(elements), stringency=stringency, unit='Ry')
        system.update(ecutwfc=ecutwfc, ecutrho=ecutrho)
    return _label_settings(system, pw_base['kpoints_distance'].value if 'kpoints_distance' in pw_base else None,
                           {element: family.get_pseudo(element).md5 for element in elements})


def _label_settings(system: dict, spacing: float | None, pseudos: dict) -> dict:
    """``LABEL_SYSTEM_KEYS`` of the pw.x SYSTEM namelist, the k-point spacing (1/Angstrom) and element -> md5."""
    return {**{key: system.get(key) for key in LABEL_SYSTEM_KEYS}, 'kpoints_distance': spacing, 'pseudos': pseudos}


def label_settings_mismatch(training_set, labelling) -> str | None:
    """Why new labels made with ``labelling`` would not match those of ``training_set``; None when they would.

    Only configurations whose pw.x calculation (single point or MD) is in the provenance are checked
    (``query.training_set_lineage``); a set imported without provenance cannot be checked and passes.
    """
    sources = training_set_lineage(training_set).sources
    if not sources:
        return None
    intended = intended_label_settings(labelling, training_set.species)
    for source in sources:
        used = label_settings_of(source.calculation)
        differences = [f'{key} {used[key]} there, {intended[key]} now' for key in intended
                       if key != 'pseudos' and used[key] != intended[key]]
        differences += [f'{element} pseudopotential md5 {md5} there, {intended["pseudos"].get(element)} now'
                        for element, md5 in sorted(used['pseudos'].items()) if intended['pseudos'].get(element) != md5]
        if differences:
            return (f'labels of {training_set.__class__.__name__}<{training_set.pk}> were made with other settings '
                    f'than this run would use ({"; ".join(differences)}; e.g. `{source.label}`, '
                    f'{source.calculation.process_label}<{source.calculation.pk}>): label with the settings the set '
                    f'was made with (its labelling protocol and pseudopotential family) or start a new training set')
    return None


def _cutoffs(family, structure, stringency: str) -> dict:
    """``ecutwfc``/``ecutrho`` (Ry) recommended by ``family`` for ``structure``."""
    ecutwfc, ecutrho = family.get_recommended_cutoffs(structure=structure, stringency=stringency, unit='Ry')
    return {'ecutwfc': ecutwfc, 'ecutrho': ecutrho}


def labels_pseudo_family(training_set, family_label: str) -> str:
    """Label of a pseudopotential family holding the pseudopotentials ``training_set``'s pw.x labels were made with.

    ``family_label`` (e.g. the labelling protocol's) is returned when it holds them. Otherwise a family
    ``{family_label}/{md5s}`` is made from the set's own pseudopotential nodes (which travel in its archive; elements
    the labels lack take ``family_label``'s) with the cutoffs of ``family_label``: ld1.x on another machine writes
    files that differ in the last digits, so new labels of a continued set must use the set's files, not freshly
    generated ones. A ``family_label`` that is itself such a derived label (a continuation's input, on a profile
    where the derived family was never made) stands for its base family.

    :raises ValueError: when the set's labels used two different files for one element.
    """
    family_label = re.sub(r'(/[0-9a-f]{8})(-[0-9a-f]{8})*$', '', family_label)
    pseudos = {}
    for source in training_set_lineage(training_set).sources:
        for pseudo in source.calculation.inputs.pseudos.values():
            if pseudos.setdefault(pseudo.element, pseudo).md5 != pseudo.md5:
                raise ValueError(f'labels of {training_set.__class__.__name__}<{training_set.pk}> use two '
                                 f'{pseudo.element} pseudopotentials ({pseudos[pseudo.element].md5}, {pseudo.md5}): '
                                 'it cannot be continued with one family')
    family_class = GroupFactory('pseudo.family.cutoffs')
    base = family_class.collection.get(label=family_label)
    if all(base.get_pseudo(element).md5 == pseudo.md5 for element, pseudo in pseudos.items()):
        return family_label
    pseudos = {pseudo.element: pseudo for pseudo in base.nodes} | pseudos  # elements the labels lack: the family's
    label = f'{family_label}/' + '-'.join(pseudos[element].md5[:8] for element in sorted(pseudos))
    if not family_class.collection.find(filters={'label': label}):
        family = family_class(label=label, description=f'the pseudopotentials of the labels of '
                              f'TrainingSetData<{training_set.uuid}>, with the cutoffs of {family_label}').store()
        family.add_nodes(list(pseudos.values()))
        for stringency in base.get_cutoff_stringencies():
            cutoffs = base.get_cutoffs(stringency)
            family.set_cutoffs({element: cutoffs[element] for element in pseudos}, stringency,
                               unit=base.get_cutoffs_unit())
        family.set_default_stringency(base.get_default_stringency())
    return label
