"""``CompositionSweepWorkChain`` (``lps.ga.sweep``): walk along the Li2S-P2S5 line with a GA, DFT and a hull.

The composition sweep of H. Guo, Q. Wang, A. Urban, N. Artrith, Chem. Mater. (2022),
doi:10.1021/acs.chemmater.2c00267 (Methods, "Genetic Algorithm Sampling"; SPEC section 6), with a GAP where the
article used its ANN potential:

1. The parent cell and bulk Li2S and P2S5 (from :mod:`aiida_lps.structures.crystals` unless given) are relaxed with
   pw.x (``PwBaseWorkChain``, ``relax`` or ``vc-relax``), all with the same cutoffs (those the pseudo family
   recommends for Li, P and S together), k-point spacing and thresholds.
2. Each step: ``genetic_removal_search`` looks for the removal of ``n_units`` Li2S (or P2S5) units from the current
   parent with the lowest GAP energy after a short GAP relaxation; its ``n_best`` candidates are relaxed with pw.x
   at the same settings; the one with the lowest DFT energy becomes the next parent. A failed relaxation of a
   candidate, or a candidate with atoms closer than ``dft.min_distance_A``, is reported and skipped.
3. ``composition_hull``: formation energy per atom (corrected eq. 1 of the article) and energy above pymatgen's
   lower convex hull of every relaxed structure, in meV/atom, and the miscibility gaps;
   ``plot_composition_hull_png`` draws them (article Fig. 5).
4. ``li_environment_similarity``: Pearson similarity of the Li environments of every relaxed structure to reference
   crystals (SOAP instead of the article's Chebyshev descriptors); ``plot_hull_similarity_png`` draws the energy
   above hull coloured by the most similar crystal (article Fig. 7a).
"""
from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, while_
from aiida.plugins import GroupFactory
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain
from ase import units

from aiida_lps.analysis.formation import LINE_SPECIES, LineComposition, OffLineCompositionError
from aiida_lps.calculations.functions.composition_hull import composition_hull
from aiida_lps.calculations.functions.genetic_removal_search import genetic_removal_search
from aiida_lps.calculations.functions.li_environment_similarity import li_environment_similarity
from aiida_lps.calculations.functions.plot_composition_hull_png import plot_composition_hull_png
from aiida_lps.calculations.functions.plot_hull_similarity_png import plot_hull_similarity_png
from aiida_lps.data.potentials import PotentialData
from aiida_lps.sampling.genetic import REMOVAL_UNITS, GeneticSettings
from aiida_lps.structures.crystals import get_crystal, list_crystals
from aiida_lps.workflows.labelling import closest_pair
from aiida_lps.workflows.protocols import ProtocolMixin, recursive_merge

__all__ = ('FINGERPRINT_REFERENCES', 'CompositionSweepWorkChain', 'relax_parameters', 'step_label')

#: End members whose DFT energies per formula unit define E_f, with their crystal-library names.
END_MEMBERS = ('Li2S', 'P2S5')
#: Label of the (relaxed) input parent among the relaxed structures.
PARENT_LABEL = 'parent'
#: Force unit of pw.x's ``forc_conv_thr``, in eV/Angstrom.
RY_PER_BOHR_IN_EV_PER_A = units.Ry / units.Bohr
#: Protocol keys (protocols/composition.yaml) of the ``dft`` namespace with their node types.
DFT_SETTINGS = {'calculation': orm.Str, 'cutoff_stringency': orm.Str, 'force_threshold_eV_per_A': orm.Float,
                'etot_conv_thr_per_atom': orm.Float, 'conv_thr_per_atom': orm.Float, 'max_ionic_steps': orm.Int,
                'min_distance_A': orm.Float}
#: Protocol keys of the ``ga`` namespace that are work chain ports; the rest are ``GeneticSettings`` fields.
GA_PORTS = {'relax_fmax_eV_per_A': orm.Float, 'relax_max_steps': orm.Int, 'seed': orm.Int}
RELAX_CALCULATIONS = ('relax', 'vc-relax')
#: Reference crystals of the Li-environment similarity (article Fig. 7a).
FINGERPRINT_REFERENCES = ('LiPS3', 'Li7P3S11', 'beta-Li3PS4', 'gamma-Li3PS4', 'Li7PS6', 'Li2S')


def step_label(step: int, rank: int) -> str:
    """Label of the candidate of GA rank ``rank`` in composition step ``step``: ``step1_candidate_00``."""
    return f'step{step}_candidate_{rank:02d}'


def relax_parameters(parameters: dict, n_atoms: int, *, calculation: str, force_threshold_eV_per_A: float,
                     etot_conv_thr_per_atom: float, conv_thr_per_atom: float, max_ionic_steps: int,
                     cutoffs_Ry: tuple[float, float] | None) -> dict:
    """pw.x parameters of one relaxation: ``parameters`` with the relaxation type, thresholds and cutoffs set.

    :param parameters: pw.x namelists (e.g. from ``PwBaseWorkChain.get_builder_from_protocol``).
    :param n_atoms: atoms of the structure; the per-atom thresholds are scaled by it.
    :param calculation: 'relax' (positions) or 'vc-relax' (positions and cell).
    :param force_threshold_eV_per_A: largest force at convergence, eV/Angstrom.
    :param etot_conv_thr_per_atom: energy change between ionic steps at convergence, Ry per atom.
    :param conv_thr_per_atom: SCF convergence, Ry per atom.
    :param max_ionic_steps: ``nstep``.
    :param cutoffs_Ry: (ecutwfc, ecutrho) in Ry, or None to keep those of ``parameters``.
    """
    update = {
        'CONTROL': {
            'calculation': calculation,
            'forc_conv_thr': force_threshold_eV_per_A / RY_PER_BOHR_IN_EV_PER_A,
            'etot_conv_thr': etot_conv_thr_per_atom * n_atoms,
            'nstep': max_ionic_steps,
        },
        'ELECTRONS': {'conv_thr': conv_thr_per_atom * n_atoms},
    }
    if cutoffs_Ry is not None:
        update['SYSTEM'] = {'ecutwfc': cutoffs_Ry[0], 'ecutrho': cutoffs_Ry[1]}
    return recursive_merge(parameters, update)


def _line_composition(structure: orm.StructureData) -> LineComposition:
    return LineComposition.from_symbols(structure.get_ase().get_chemical_symbols())


def validate_inputs(inputs, _):
    """Refuse before any DFT runs: a parent off the Li2S-P2S5 line or too small for the steps, a potential lacking
    a species, wrong end members, unknown GA settings or relaxation type, atoms too close."""
    return (_validate_parent(inputs) or _validate_references(inputs) or _validate_ga(inputs)
            or _validate_dft(inputs) or _validate_fingerprint_references(inputs))


def _validate_fingerprint_references(inputs):
    if 'fingerprint_references' not in inputs:
        return None
    names = inputs['fingerprint_references'].get_list()
    unknown = sorted(set(names) - set(list_crystals()))
    if unknown or not names:
        return f'fingerprint_references {names}: unknown crystals {unknown}; choose from {list_crystals()}'
    return None


def _validate_parent(inputs):
    if not {'structure', 'unit', 'n_units', 'n_steps'} <= set(inputs):
        return None
    structure, unit = inputs['structure'], inputs['unit'].value
    try:
        composition = _line_composition(structure)
    except OffLineCompositionError as error:
        return f'the parent structure<{structure.pk}> cannot be swept: {error}'
    missing = []
    if 'potential' in inputs:
        missing = sorted(set(structure.get_symbols_set()) - set(inputs['potential'].species))
    if missing:
        return (f'the GAP potential<{inputs["potential"].pk}> covers {inputs["potential"].species} but the parent '
                f'also contains {missing}: use a potential trained on {list(LINE_SPECIES)}')
    if unit not in REMOVAL_UNITS:
        return f'unknown unit {unit!r}: remove one of {sorted(REMOVAL_UNITS)} per step'
    n_steps, n_units = inputs['n_steps'].value, inputs['n_units'].value
    if n_steps < 1 or n_units < 1:
        return f'n_steps ({n_steps}) and n_units ({n_units}) must be at least 1'
    available = {'Li': composition.n_li, 'P': composition.n_p, 'S': composition.n_s}
    for symbol, count in REMOVAL_UNITS[unit].items():
        if count * n_units * n_steps > available[symbol]:
            return (f'{n_steps} steps removing {n_units} {unit} each need {count * n_units * n_steps} {symbol} but '
                    f'the parent has {available[symbol]}: use a larger supercell or fewer steps')
    if n_units * n_steps * sum(REMOVAL_UNITS[unit].values()) >= composition.n_atoms:
        return f'{n_steps} steps of {n_units} {unit} would remove every atom of the parent'
    return None


def _validate_references(inputs):
    for end_member, structure in inputs.get('references', {}).items():
        try:
            x = _line_composition(structure).x
        except OffLineCompositionError as error:
            return f'the {end_member} reference structure<{structure.pk}> is off the line: {error}'
        expected = 1.0 if end_member == 'Li2S' else 0.0
        if x != expected:
            return (f'the {end_member} reference structure<{structure.pk}> has the formula '
                    f'{structure.get_formula()}, not that of {end_member}')
    return None


def _validate_ga(inputs):
    ga = inputs.get('ga', {})
    if 'settings' in ga:
        try:
            GeneticSettings(**ga['settings'].get_dict())
        except (TypeError, ValueError) as error:
            return f'invalid GA settings {ga["settings"].get_dict()}: {error}'
    if 'relax_max_steps' in ga and ga['relax_max_steps'].value < 0:
        return f'ga.relax_max_steps must be non-negative, got {ga["relax_max_steps"].value}'
    if 'relax_fmax_eV_per_A' in ga and ga['relax_fmax_eV_per_A'].value <= 0:
        return f'ga.relax_fmax_eV_per_A must be positive, got {ga["relax_fmax_eV_per_A"].value}'
    return None


def _validate_dft(inputs):
    dft = inputs.get('dft', {})
    if 'calculation' in dft and dft['calculation'].value not in RELAX_CALCULATIONS:
        return f'dft.calculation must be one of {RELAX_CALCULATIONS}, got {dft["calculation"].value!r}'
    for name in ('force_threshold_eV_per_A', 'etot_conv_thr_per_atom', 'conv_thr_per_atom', 'max_ionic_steps'):
        if name in dft and dft[name].value <= 0:
            return f'dft.{name} must be positive, got {dft[name].value}'
    if 'min_distance_A' in dft and 'structure' in inputs:
        distance, (i, j) = closest_pair(inputs['structure'])
        if distance < dft['min_distance_A'].value:
            return (f'the parent has sites {i} and {j} only {distance:.3f} Angstrom apart (< dft.min_distance_A '
                    f'{dft["min_distance_A"].value} Angstrom): fix it before DFT')
    return None


class CompositionSweepWorkChain(ProtocolMixin, WorkChain):
    """GA + DFT sweep along (Li2S)_x(P2S5)_(1-x): relaxed structures, E_f and E_above_hull (meV/atom), hull plot."""

    _protocol_file = 'composition.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.expose_inputs(
            PwBaseWorkChain, namespace='pw_base', exclude=('pw.structure', 'pw.pseudos', 'clean_workdir'),
            namespace_options={'help': 'Inputs of every PwBaseWorkChain relaxation (code, k-points, parameters); '
                                       'the `dft` namespace sets the relaxation type, thresholds and cutoffs.'},
        )
        spec.input('structure', valid_type=orm.StructureData,
                   help='Parent cell on the Li2S-P2S5 line (Angstrom), e.g. a gamma-Li3PS4 supercell.')
        spec.input('potential', valid_type=PotentialData, help='The GAP of the GA fitness (cheap energy model).')
        spec.input('unit', valid_type=orm.Str, default=lambda: orm.Str('Li2S'),
                   help='Unit removed per step: Li2S (towards P2S5) or P2S5 (towards Li2S).')
        spec.input('n_units', valid_type=orm.Int, default=lambda: orm.Int(1), help='Units removed per step.')
        spec.input('n_steps', valid_type=orm.Int, help='Number of composition steps.')
        spec.input_namespace('references', valid_type=orm.StructureData, required=False,
                             help='Bulk end-member cells; default: Li2S and P2S5 of aiida_lps.structures.crystals.')
        spec.input('references.Li2S', valid_type=orm.StructureData, required=False, help='Bulk Li2S cell.')
        spec.input('references.P2S5', valid_type=orm.StructureData, required=False, help='Bulk P2S5 cell.')
        spec.input('ga.settings', valid_type=orm.Dict, default=lambda: orm.Dict({}),
                   help='GeneticSettings fields (population_size, mutation_rate, n_generations, '
                        'max_stagnant_generations, n_best = candidates per step sent to DFT, ...); default: article.')
        spec.input('ga.relax_fmax_eV_per_A', valid_type=orm.Float,
                   help='The GAP/BFGS fitness relaxation stops below this largest force, eV/Angstrom.')
        spec.input('ga.relax_max_steps', valid_type=orm.Int, help='The fitness relaxation stops after these steps.')
        spec.input('ga.seed', valid_type=orm.Int, default=lambda: orm.Int(1), help='Step k uses seed + k - 1.')
        spec.input('dft.pseudo_family', valid_type=orm.Str, help='Label of an aiida-pseudo family with cutoffs.')
        spec.input('dft.cutoff_stringency', valid_type=orm.Str, default=lambda: orm.Str('normal'),
                   help='Stringency of the family cutoffs for Li, P and S together (used unless pw_base sets both).')
        spec.input('dft.calculation', valid_type=orm.Str, help="'relax' (fixed cell) or 'vc-relax'.")
        spec.input('dft.force_threshold_eV_per_A', valid_type=orm.Float,
                   help='Largest force at convergence, eV/Angstrom.')
        spec.input('dft.etot_conv_thr_per_atom', valid_type=orm.Float,
                   help='Energy change between ionic steps at convergence, Ry per atom.')
        spec.input('dft.conv_thr_per_atom', valid_type=orm.Float, help='SCF convergence, Ry per atom.')
        spec.input('dft.max_ionic_steps', valid_type=orm.Int, help='Ionic steps per pw.x run (nstep).')
        spec.input('dft.min_distance_A', valid_type=orm.Float, default=lambda: orm.Float(0.5),
                   help='Candidates with atoms closer than this (Angstrom) are skipped before DFT.')
        spec.input('threshold_meV_per_atom', valid_type=orm.Float, default=lambda: orm.Float(26.0),
                   help='A composition within this of the hull is near-stable (bounds miscibility gaps), meV/atom.')
        spec.input('fingerprint_references', valid_type=orm.List,
                   default=lambda: orm.List(list(FINGERPRINT_REFERENCES)),
                   help='Crystals (aiida_lps.structures.crystals) the Li environments are compared with.')
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            cls.relax_references,
            cls.inspect_references,
            while_(cls.has_steps_left)(
                cls.search_removals,
                cls.relax_candidates,
                cls.inspect_candidates,
            ),
            cls.analyse,
        )
        spec.output_namespace('relaxed_structures', valid_type=orm.StructureData, dynamic=True,
                              help='DFT-relaxed structures: `parent`, `step1_candidate_00`, ... (Angstrom).')
        spec.output_namespace('relaxed_references', valid_type=orm.StructureData, dynamic=True,
                              help='DFT-relaxed Li2S and P2S5.')
        spec.output_namespace('ga_searches', valid_type=orm.Dict, dynamic=True,
                              help='Per step (`step1`, ...): GA counts and per-generation GAP energies (eV).')
        spec.output('results', valid_type=orm.Dict,
                    help='Per structure x, formula, energy (eV), E_f and E_above_hull (meV/atom), kind, step; '
                         'miscibility gaps; reference energies (eV per formula unit).')
        spec.output('hull_plot', valid_type=orm.SinglefileData, help='E_f against x with the hull (PNG).')
        spec.output('li_similarity', valid_type=orm.Dict,
                    help='Per structure with Li: Pearson similarity S_p to each reference crystal, the most similar.')
        spec.output('similarity_plot', valid_type=orm.SinglefileData,
                    help='E_above_hull against x coloured by the most similar reference crystal (PNG).')

        spec.exit_code(310, 'ERROR_REFERENCE_RELAXATION_FAILED',
                       message='the DFT relaxation of `{label}` failed ({failure}): no formation energies without it')
        spec.exit_code(311, 'ERROR_GENETIC_SEARCH_FAILED', message='the GA of step {step} failed: {error}')
        spec.exit_code(312, 'ERROR_ALL_CANDIDATE_RELAXATIONS_FAILED',
                       message='no candidate of step {step} was relaxed with DFT: {failures}')
        spec.exit_code(410, 'WARNING_NO_CANDIDATES',
                       message='the GA of step {step} found no removal with a finite GAP energy')

    @classmethod
    def get_builder_from_protocol(cls, code, structure, potential, n_steps: int, protocol: str | None = None,
                                  overrides: dict | None = None, options: dict | None = None):
        """Builder for ``n_steps`` composition steps from ``structure`` with the ``fast`` or ``precise`` protocol.

        :param code: pw.x code.
        :param overrides: protocol keys (``unit``, ``n_units``, ``ga`` and ``dft`` dicts, ...; see
            ``protocols/composition.yaml``) and a ``pw_base`` dict merged into the PwBaseWorkChain inputs.
        :param options: ``metadata.options`` of every PwCalculation (e.g. resources).
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        dft = inputs['dft']
        pw_overrides = recursive_merge(
            {'pseudo_family': inputs['pseudo_family'], 'kpoints_distance': dft['kpoints_distance'],
             'max_iterations': dft['max_iterations']},
            inputs.get('pw_base', {}),
        )
        pw_builder = PwBaseWorkChain.get_builder_from_protocol(
            code, structure, protocol='fast', overrides=pw_overrides,
            options={'max_wallclock_seconds': dft['max_wallclock_seconds'], **(options or {})},
        )
        for port in ('structure', 'pseudos'):
            pw_builder.pw.pop(port)
        pw_builder.pop('clean_workdir', None)
        given = inputs.get('pw_base', {}).get('pw', {}).get('parameters', {}).get('SYSTEM', {})
        if not {'ecutwfc', 'ecutrho'} <= set(given):  # the work chain sets them from dft.cutoff_stringency
            parameters = pw_builder.pw.parameters.get_dict()
            for key in ('ecutwfc', 'ecutrho'):
                parameters['SYSTEM'].pop(key)
            pw_builder.pw.parameters = orm.Dict(parameters)

        builder = cls.get_builder()
        builder.pw_base = pw_builder._inputs(prune=True)
        builder.structure = structure
        builder.potential = potential
        builder.n_steps = orm.Int(n_steps)
        builder.update(cls.protocol_namespaces(inputs))
        return builder

    @staticmethod
    def protocol_namespaces(inputs: dict) -> dict:
        """The ``unit``, ``n_units``, ``ga``, ``dft`` and ``threshold_meV_per_atom`` inputs of protocol ``inputs``."""
        ga = dict(inputs['ga'])
        ports = {name: node_type(ga.pop(name)) for name, node_type in GA_PORTS.items()}
        return {
            'unit': orm.Str(inputs['unit']), 'n_units': orm.Int(inputs['n_units']),
            'ga': {'settings': orm.Dict(ga), **ports},
            'dft': {'pseudo_family': orm.Str(inputs['pseudo_family']),
                    **{name: node_type(inputs['dft'][name]) for name, node_type in DFT_SETTINGS.items()}},
            'threshold_meV_per_atom': orm.Float(inputs['threshold_meV_per_atom']),
        }

    def setup(self):
        """The common cutoffs and the bookkeeping of relaxed structures and parents."""
        family = self._pseudo_family()
        parameters = self.inputs.pw_base.pw.parameters.get_dict()
        if {'ecutwfc', 'ecutrho'} <= set(parameters.get('SYSTEM', {})):
            self.ctx.cutoffs = None
        else:
            self.ctx.cutoffs = family.get_recommended_cutoffs(
                elements=LINE_SPECIES, stringency=self.inputs.dft.cutoff_stringency.value, unit='Ry')
        self.ctx.step = 0
        self.ctx.parent = self.inputs.structure
        self.ctx.relaxed = {}   # label -> PwBaseWorkChain node of every relaxed sampled structure
        self.ctx.origins = {}   # label -> kind, step, GA rank, whether it is the lowest of its step
        composition = _line_composition(self.inputs.structure)
        cutoffs = ('the cutoffs of pw_base' if self.ctx.cutoffs is None
                   else f'{self.ctx.cutoffs[0]:g}/{self.ctx.cutoffs[1]:g} Ry')
        self.report(f'parent {self.inputs.structure.get_formula()} (x = {composition.x:.4f}, {composition.n_atoms} '
                    f'atoms): {self.inputs.n_steps.value} steps removing {self.inputs.n_units.value} '
                    f'{self.inputs.unit.value} each; DFT {self.inputs.dft.calculation.value} at {cutoffs}')

    def relax_references(self):
        """Relax the end members (given, or from the crystal library) and the parent with DFT, all at once."""
        given = self.inputs.get('references', {})
        futures = {f'relax_{name}': self._submit_relaxation(name, given.get(name) or orm.StructureData(
            ase=get_crystal(name))) for name in END_MEMBERS}
        futures[f'relax_{PARENT_LABEL}'] = self._submit_relaxation(PARENT_LABEL, self.inputs.structure)
        return ToContext(**futures)

    def inspect_references(self):
        """Every one of them must have relaxed; the relaxed parent starts the sweep."""
        for label in (*END_MEMBERS, PARENT_LABEL):
            failure = self._failure(self.ctx[f'relax_{label}'])
            if failure:
                return self.exit_codes.ERROR_REFERENCE_RELAXATION_FAILED.format(label=label, failure=failure)
        for name in END_MEMBERS:
            self.out(f'relaxed_references.{name}', self.ctx[f'relax_{name}'].outputs.output_structure)
        parent = self.ctx[f'relax_{PARENT_LABEL}']
        self._record(PARENT_LABEL, parent, {'kind': 'crystal', 'step': 0, 'lowest_in_step': True})
        self.ctx.parent = parent.outputs.output_structure
        for label in (*END_MEMBERS, PARENT_LABEL):
            self.report(f'{label}: {self._energy_line(self.ctx[f"relax_{label}"])}')
        return None

    def has_steps_left(self):
        return self.ctx.step < self.inputs.n_steps.value

    def search_removals(self):
        """GA over the removals from the current parent, fitness from the GAP; report what it found."""
        self.ctx.step += 1
        step = self.ctx.step
        try:
            found = genetic_removal_search(
                parent=self.ctx.parent, potential=self.inputs.potential, unit=self.inputs.unit,
                n_units=self.inputs.n_units, settings=self.inputs.ga.settings,
                relax_fmax_eV_per_A=self.inputs.ga.relax_fmax_eV_per_A,
                relax_max_steps=self.inputs.ga.relax_max_steps, seed=orm.Int(self.inputs.ga.seed.value + step - 1),
                metadata={'call_link_label': f'ga_step{step}'},
            )
        except ValueError as error:
            return self.exit_codes.ERROR_GENETIC_SEARCH_FAILED.format(step=step, error=error)
        search = found.pop('search')
        self.out(f'ga_searches.step{step}', search)
        if not found:
            return self.exit_codes.WARNING_NO_CANDIDATES.format(step=step)
        self.ctx.candidates = found
        energies = ', '.join(f'{energy:.3f}' for energy in search['candidate_energies_eV'])
        self.report(f'step {step}: GA evaluated {search["n_evaluations"]} of {search["search_space_size"]} removal '
                    f'sets ({search["n_merged_equivalent"]} merged as equivalent) in {len(search["history"]) - 1} '
                    f'generations; {len(found)} candidates to DFT, GAP energies {energies} eV')
        return None

    def relax_candidates(self):
        """Relax every candidate with DFT, all at once; skip (and report) those with atoms too close."""
        step = self.ctx.step
        min_distance = self.inputs.dft.min_distance_A.value
        self.ctx.skipped = {}
        futures = {}
        for name, structure in sorted(self.ctx.candidates.items()):
            label = step_label(step, int(name.removeprefix('candidate_')))
            distance, (i, j) = closest_pair(structure)
            if distance < min_distance:
                self.ctx.skipped[label] = f'sites {i} and {j} {distance:.3f} Angstrom apart after the GAP relaxation'
                self.report(f'skipped `{label}` before DFT: {self.ctx.skipped[label]}')
                continue
            futures[f'relax_{label}'] = self._submit_relaxation(label, structure)
        return ToContext(**futures)

    def inspect_candidates(self):
        """Keep the relaxed candidates, report and skip failed ones; the lowest DFT energy is the next parent."""
        step = self.ctx.step
        failures = dict(self.ctx.skipped)
        relaxed = {}
        for name in sorted(self.ctx.candidates):
            rank = int(name.removeprefix('candidate_'))
            label = step_label(step, rank)
            if label in failures:
                continue
            child = self.ctx[f'relax_{label}']
            failure = self._failure(child)
            if failure:
                failures[label] = failure
                self.report(f'skipped `{label}`: {failure}')
                continue
            relaxed[label] = (rank, child)
        if not relaxed:
            return self.exit_codes.ERROR_ALL_CANDIDATE_RELAXATIONS_FAILED.format(
                step=step, failures='; '.join(f'{label}: {reason}' for label, reason in failures.items()))
        best = min(relaxed, key=lambda label: relaxed[label][1].outputs.output_parameters['energy'])
        for label, (rank, child) in relaxed.items():
            self._record(label, child, {'kind': 'ga', 'step': step, 'ga_rank': rank, 'lowest_in_step': label == best})
            self.report(f'`{label}`: {self._energy_line(child)}{" <- next parent" if label == best else ""}')
        self.ctx.parent = relaxed[best][1].outputs.output_structure
        self.report(f'step {step}: {len(relaxed)} of {len(self.ctx.candidates)} candidates relaxed; '
                    f'parent of the next step: `{best}` {self.ctx.parent.get_formula()}')
        return None

    def analyse(self):
        """Formation energies, energies above hull and miscibility gaps, Li-environment similarities; their plots;
        report the table."""
        kwargs = {}
        for label, child in self.ctx.relaxed.items():
            kwargs[f'structure_{label}'] = child.outputs.output_structure
            kwargs[f'parameters_{label}'] = child.outputs.output_parameters
        li2s, p2s5 = (self.ctx[f'relax_{name}'] for name in END_MEMBERS)
        results = composition_hull(
            threshold_meV_per_atom=self.inputs.threshold_meV_per_atom, origins=orm.Dict(self.ctx.origins),
            li2s_structure=li2s.outputs.output_structure, li2s_parameters=li2s.outputs.output_parameters,
            p2s5_structure=p2s5.outputs.output_structure, p2s5_parameters=p2s5.outputs.output_parameters,
            metadata={'call_link_label': 'composition_hull'}, **kwargs,
        )
        self.out('results', results)
        self.out('hull_plot', plot_composition_hull_png(results, metadata={'call_link_label': 'plot_hull'}))
        similarity = li_environment_similarity(
            reference_crystals=self.inputs.fingerprint_references, metadata={'call_link_label': 'li_similarity'},
            **{key: node for key, node in kwargs.items() if key.startswith('structure_')},
        )
        self.out('li_similarity', similarity)
        self.out('similarity_plot', plot_hull_similarity_png(results, similarity,
                                                             metadata={'call_link_label': 'plot_similarity'}))
        for label, row in sorted(results['structures'].items(), key=lambda item: (-item[1]['x'], item[0])):
            similar = similarity['structures'].get(label, {}).get('most_similar')
            self.report(f'{label} {row["formula"]} x = {row["x"]:.4f}: E_f = {row["formation_energy_meV_per_atom"]:.1f}'
                        f' meV/atom, E_above_hull = {row["e_above_hull_meV_per_atom"]:.1f} meV/atom, Li environments '
                        f'most similar to {similar or "none of the references"}')
        for gap in results['miscibility_gaps']:
            self.report(f'miscibility gap {gap["x_low"]:.4f} < x < {gap["x_high"]:.4f} (lowest sample '
                        f'{gap["lowest_e_above_hull_meV_per_atom"]:.1f} meV/atom above the hull)')

    def _pseudo_family(self):
        return GroupFactory('pseudo.family').collection.get(label=self.inputs.dft.pseudo_family.value)

    def _submit_relaxation(self, label: str, structure: orm.StructureData):
        """Submit a PwBaseWorkChain relaxation of ``structure`` at the common settings; return its node."""
        dft = self.inputs.dft
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace='pw_base'))
        inputs.pw['structure'] = structure
        inputs.pw['pseudos'] = self._pseudo_family().get_pseudos(structure=structure)
        inputs.pw['parameters'] = orm.Dict(relax_parameters(
            inputs.pw['parameters'].get_dict(), len(structure.sites), calculation=dft.calculation.value,
            force_threshold_eV_per_A=dft.force_threshold_eV_per_A.value,
            etot_conv_thr_per_atom=dft.etot_conv_thr_per_atom.value, conv_thr_per_atom=dft.conv_thr_per_atom.value,
            max_ionic_steps=dft.max_ionic_steps.value, cutoffs_Ry=self.ctx.cutoffs,
        ))
        inputs.metadata = {'call_link_label': f'relax_{label}'}
        future = self.submit(PwBaseWorkChain, **inputs)
        self.report(f'launched PwBaseWorkChain<{future.pk}> {dft.calculation.value} of `{label}` '
                    f'({structure.get_formula()}, {len(structure.sites)} atoms)')
        return future

    def _record(self, label: str, child, origin: dict):
        """Keep a relaxed sampled structure for the hull and attach it as an output."""
        self.ctx.relaxed[label] = child
        self.ctx.origins[label] = origin
        self.out(f'relaxed_structures.{label}', child.outputs.output_structure)

    @staticmethod
    def _failure(child) -> str | None:
        """Why a relaxation is unusable, or None if it finished ok with a structure and an energy."""
        if not child.is_finished_ok:
            return f'PwBaseWorkChain<{child.pk}> exit {child.exit_status}: {child.exit_message}'
        if 'output_structure' not in child.outputs:
            return f'PwBaseWorkChain<{child.pk}> returned no output_structure'
        return None

    @staticmethod
    def _energy_line(child) -> str:
        """Final DFT energy (eV, eV/atom) and number of ionic steps of a finished relaxation."""
        energy = child.outputs.output_parameters['energy']
        n_atoms = len(child.outputs.output_structure.sites)
        n_steps = len(child.outputs.output_trajectory.get_stepids()) if 'output_trajectory' in child.outputs else '?'
        return (f'E = {energy:.4f} eV ({energy / n_atoms:.4f} eV/atom) after {n_steps} ionic steps, '
                f'PwBaseWorkChain<{child.pk}>')
