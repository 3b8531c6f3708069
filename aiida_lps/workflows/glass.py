"""``GlassSamplingWorkChain`` (``lps.glass.sample``): an ensemble of LPS glasses sampled with a GAP, and its structure.

Thesis §5.3 (Scheme 2) and §6.2.1; SPEC §4. For a composition (a formula, or x of (Li2S)_x(P2S5)_(1-x)), a motif
ratio (default: the ideal one, SPEC Table 4) and a number of formula units, every glass of the ensemble is one
``sample_glass_with_potential`` call with its own seed: rigid motifs on a grid at 1.3 g/cm3, Li at k-means centres
of the S Voronoi vertices, then 0.99 compression steps, each followed by a brief GAP/BFGS relaxation (fmax 3 eV/A),
up to the target density (1.8 g/cm3). The glasses are sampled one after the other in this process, with a
checkpoint after each. Then

- ``ensemble_partial_rdfs``: the partial RDFs averaged over the ensemble, and those of the reference crystals of
  the same composition (static cells of :mod:`aiida_lps.structures.crystals`; the thesis' Fig. 13 used 500 K MD);
- ``ensemble_motif_fractions``: motif fractions by P-P distance (the thesis metric) and by connectivity;
- ``plot_partial_rdfs_png`` (glass against crystals, as thesis Fig. 13) and ``plot_motif_fractions_png``.

Last, every glass is checked. Atoms closer than physically possible (:data:`IMPOSSIBLE_BELOW_A`: overlaps the
potential did not push apart, or a collapse it caused) end the work chain with exit code 411; a glass whose
connectivity motifs differ from the requested ones (relaxations that made or broke P-S-P bridges or P-P bonds) with
410. Both are reported per glass (impossible distances as soon as the glass is sampled), and all outputs are
attached, so the glasses and their RDFs can be inspected.
"""
from __future__ import annotations

from fractions import Fraction

from aiida import orm
from aiida.engine import WorkChain, while_
from ase.formula import Formula

from aiida_lps.calculations.functions.ensemble_motif_fractions import ensemble_motif_fractions
from aiida_lps.calculations.functions.ensemble_partial_rdfs import ensemble_partial_rdfs
from aiida_lps.calculations.functions.plot_motif_fractions_png import plot_motif_fractions_png
from aiida_lps.calculations.functions.plot_partial_rdfs_png import plot_partial_rdfs_png
from aiida_lps.calculations.functions.sample_glass_with_potential import (
    GLASS_SAMPLING_ATTRIBUTE,
    sample_glass_with_potential,
)
from aiida_lps.data.potentials import PotentialData
from aiida_lps.structures.building_blocks import BUILDING_BLOCKS, GlassRecipe, formula_unit_counts, glass_recipe
from aiida_lps.structures.crystals import get_crystal, get_crystal_record, list_crystals
from aiida_lps.workflows.protocols import ProtocolMixin

__all__ = ('IMPOSSIBLE_BELOW_A', 'GlassSamplingWorkChain', 'crystals_of_composition', 'formula_units_for_atoms',
           'impossible_distances', 'requested_phosphorus_fractions', 'sampling_message', 'unrecovered_motifs')

#: Largest difference between a requested and a found motif fraction (by P) that still counts as recovered.
FRACTION_TOLERANCE = 1e-9
#: Distances (Angstrom) below which a species pair is physically impossible in a Li thiophosphate: P-S 1.85 (the
#: shortest P-S bond, terminal P=S in P4S10, is ~1.90), P-P 2.1 (P-P single bonds 2.2-2.3), S-S 1.9 (S-S bond 2.05),
#: Li-S 2.0, Li-P 2.2, Li-Li 1.9 (shortest in the crystals: 2.27, 2.95, 2.97). The values of
#: tests/core/test_glass_sampling.py.
IMPOSSIBLE_BELOW_A = {'P-S': 1.85, 'P-P': 2.1, 'S-S': 1.9, 'Li-S': 2.0, 'Li-P': 2.2, 'Li-Li': 1.9}


#: Protocol keys (protocols/glass.yaml) set by ``get_builder_from_protocol``: namespace -> port -> node type.
PROTOCOL_SETTINGS = {
    'sampling': {'initial_density_g_cm3': orm.Float, 'target_density_g_cm3': orm.Float, 'scale_factor': orm.Float,
                 'relax_fmax_eV_per_A': orm.Float, 'relax_max_steps': orm.Int},
    'analysis': {'rdf_r_max_A': orm.Float, 'rdf_n_bins': orm.Int},
}


def glass_label(index: int) -> str:
    """Link label of glass ``index`` of the ensemble: 0 -> ``glass_00``."""
    return f'glass_{index:02d}'


def crystal_label(name: str) -> str:
    """Link label of a reference crystal: ``beta-Li3PS4`` -> ``beta_Li3PS4``."""
    return name.replace('-', '_')


def _motif_ratio(inputs) -> dict | None:
    return inputs['motif_ratio'].get_dict() if 'motif_ratio' in inputs else None


def recipe_from_inputs(inputs) -> GlassRecipe:
    """The :class:`GlassRecipe` of the work chain inputs ``composition``, ``n_formula_units`` and ``motif_ratio``.

    :raises ValueError: with :func:`glass_recipe`'s message naming the problem.
    """
    return glass_recipe(inputs['composition'].value, inputs['n_formula_units'].value, _motif_ratio(inputs))


def formula_units_for_atoms(composition, n_atoms: int, motif_ratio: dict | None = None, max_tries: int = 100) -> int:
    """Formula units for a glass of about ``n_atoms`` atoms: the first count, from the nearest one upwards, that
    :func:`glass_recipe` can build (whole atoms, whole motifs in ``motif_ratio``).

    :param composition: formula or x of (Li2S)_x(P2S5)_(1-x).
    :raises ValueError: with the last refusal of :func:`glass_recipe` when none of ``max_tries`` counts works.
    """
    atoms_per_unit = sum(formula_unit_counts(composition).values())
    first = max(1, round(n_atoms / atoms_per_unit))
    for n_formula_units in range(first, first + max_tries):
        try:
            glass_recipe(composition, n_formula_units, motif_ratio)
            return n_formula_units
        except ValueError as error:
            refusal = error
    raise ValueError(f'no glass of {first} to {first + max_tries - 1} formula units of {composition} can be built; '
                     f'the last refusal: {refusal}')


def requested_phosphorus_fractions(motif_counts: dict) -> dict:
    """Fraction of the P atoms in each motif of ``motif_counts`` (motif -> number of anions), as the motif analysis
    counts them (by P, not by anion)."""
    phosphorus = {name: count * BUILDING_BLOCKS[name].n_phosphorus for name, count in motif_counts.items()}
    total = sum(phosphorus.values())
    return {name: count / total for name, count in phosphorus.items()}


def impossible_distances(shortest_distances_A: dict) -> dict:
    """Species pairs of ``shortest_distances_A`` (``'P-S'`` -> Angstrom) below :data:`IMPOSSIBLE_BELOW_A`:
    pair -> (distance, limit), Angstrom."""
    return {pair: (distance, IMPOSSIBLE_BELOW_A[pair]) for pair, distance in sorted(shortest_distances_A.items())
            if pair in IMPOSSIBLE_BELOW_A and distance < IMPOSSIBLE_BELOW_A[pair]}


def unrecovered_motifs(requested: dict, found: dict) -> dict:
    """Motifs whose fraction of P differs between ``requested`` and ``found``: motif -> (requested, found)."""
    differing = {}
    for motif in sorted(set(requested) | set(found)):
        pair = (requested.get(motif, 0.0), found.get(motif, 0.0))
        if abs(pair[0] - pair[1]) > FRACTION_TOLERANCE:
            differing[motif] = pair
    return differing


def _element_ratios(counts: dict) -> dict:
    total = sum(counts.values())
    return {element: Fraction(count) / total for element, count in counts.items() if count}


def crystals_of_composition(composition) -> list[str]:
    """Names of the reference crystals (:func:`aiida_lps.structures.crystals.list_crystals`) with the element ratios
    of ``composition`` (formula or x); ``Li3PS4`` gives the alpha, beta and gamma phases."""
    target = _element_ratios(formula_unit_counts(composition))
    return [name for name in list_crystals()
            if _element_ratios(Formula(get_crystal_record(name).cell_formula).count()) == target]


def validate_inputs(inputs, _):
    """Refuse before anything runs: a composition that cannot be built, a potential lacking a species, seeds that do
    not fit the ensemble, densities that cannot be compressed to, unknown reference crystals."""
    return (_validate_recipe(inputs) or _validate_seeds(inputs) or sampling_message(inputs.get('sampling', {}))
            or _validate_reference_crystals(inputs))


def _validate_recipe(inputs):
    if not {'composition', 'n_formula_units', 'potential'} <= set(inputs):
        return None
    composition, n_formula_units = inputs['composition'].value, inputs['n_formula_units'].value
    try:
        recipe = recipe_from_inputs(inputs)
    except ValueError as error:
        ratio = _motif_ratio(inputs)
        return (f'cannot build {n_formula_units} formula units of {composition} with the motif ratio '
                f'{ratio or "ideal"}: {error}')
    species = sorted(element for element, count in recipe.element_counts.items() if count)
    potential = inputs['potential']
    missing = sorted(set(species) - set(potential.species))
    if missing:
        return (f'the GAP potential<{potential.pk}> covers {potential.species} but a glass of {composition} also '
                f'contains {missing}: use a potential trained on {species}')
    return None


def _validate_seeds(inputs):
    if 'ensemble_size' not in inputs:
        return None
    size = inputs['ensemble_size'].value
    if size < 1:
        return f'ensemble_size must be at least 1, got {size}'
    if 'seeds' not in inputs:
        if 'seed' in inputs and inputs['seed'].value < 0:
            return f'the base seed must be a non-negative integer, got {inputs["seed"].value}'
        return None
    seeds = inputs['seeds'].get_list()
    if len(seeds) != size:
        return f'{len(seeds)} seeds for an ensemble of {size} glasses: give one seed per glass, or only the base seed'
    if any(not isinstance(seed, int) or isinstance(seed, bool) or seed < 0 for seed in seeds):
        return f'seeds must be non-negative integers, got {seeds}'
    if len(set(seeds)) != len(seeds):
        return f'seeds {seeds} repeat, which repeats glasses: give distinct seeds'
    return None


def sampling_message(sampling) -> str | None:
    """A message naming what is wrong with the ``sampling`` namespace (port name -> node), or None."""
    values = {name: node.value for name, node in sampling.items()}
    initial, target = values.get('initial_density_g_cm3'), values.get('target_density_g_cm3')
    if initial is not None and target is not None and not 0 < initial <= target:
        return f'need 0 < initial_density_g_cm3 ({initial}) <= target_density_g_cm3 ({target}) g/cm3'
    if 'scale_factor' in values and not 0 < values['scale_factor'] < 1:
        return f'scale_factor must lie in (0, 1), got {values["scale_factor"]}'
    if 'relax_fmax_eV_per_A' in values and values['relax_fmax_eV_per_A'] <= 0:
        return f'relax_fmax_eV_per_A must be positive, got {values["relax_fmax_eV_per_A"]}'
    if 'relax_max_steps' in values and values['relax_max_steps'] < 1:
        return f'relax_max_steps must be at least 1, got {values["relax_max_steps"]}'
    if values.get('compression_axis', 0) not in (0, 1, 2):
        return f'compression_axis must be 0, 1 or 2 (a cell vector), got {values["compression_axis"]}'
    return None


def _validate_reference_crystals(inputs):
    if 'reference_crystals' not in inputs.get('analysis', {}):
        return None
    unknown = sorted(set(inputs['analysis']['reference_crystals'].get_list()) - set(list_crystals()))
    if unknown:
        return f'unknown reference crystals {unknown}; choose from {list_crystals()}'
    return None


class GlassSamplingWorkChain(ProtocolMixin, WorkChain):
    """An ensemble of glasses (thesis Scheme 2) with a GAP, their ensemble partial RDFs and motif fractions."""

    _protocol_file = 'glass.yaml'

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('potential', valid_type=PotentialData, help='The GAP of the compression relaxations.')
        spec.input('composition', valid_type=(orm.Str, orm.Float),
                   help='Stoichiometry: a formula (Str, e.g. Li3PS4) or x of (Li2S)_x(P2S5)_(1-x) (Float, e.g. 0.75).')
        spec.input('motif_ratio', valid_type=orm.Dict, required=False,
                   help='Thiophosphate -> relative number of anions, e.g. {"PS4^3-": 1, "P2S6^4-": 1}; default: the '
                        'ideal ratio of the composition (SPEC Table 4). Isolated S follow from the S balance.')
        spec.input('n_formula_units', valid_type=orm.Int, help='Formula units per glass.')
        spec.input('ensemble_size', valid_type=orm.Int, help='Number of glasses (thesis: 20).')
        spec.input('seed', valid_type=orm.Int, default=lambda: orm.Int(1),
                   help='Base seed: glass k uses seed + k (unless `seeds` is given).')
        spec.input('seeds', valid_type=orm.List, required=False,
                   help='One distinct non-negative integer seed per glass; replaces the base seed.')
        spec.input('sampling.initial_density_g_cm3', valid_type=orm.Float, default=lambda: orm.Float(1.3),
                   help='Density at placement, g/cm3.')
        spec.input('sampling.target_density_g_cm3', valid_type=orm.Float, default=lambda: orm.Float(1.8),
                   help='Final density, g/cm3.')
        spec.input('sampling.scale_factor', valid_type=orm.Float, default=lambda: orm.Float(0.99),
                   help='Linear factor of each compression step.')
        spec.input('sampling.compression_axis', valid_type=orm.Int, required=False,
                   help='Compress only this cell vector (0, 1 or 2; interfaces); default: isotropic.')
        spec.input('sampling.relax_fmax_eV_per_A', valid_type=orm.Float, default=lambda: orm.Float(3.0),
                   help='Each BFGS relaxation stops when the largest force is below this, eV/Angstrom.')
        spec.input('sampling.relax_max_steps', valid_type=orm.Int, default=lambda: orm.Int(20),
                   help='Each BFGS relaxation stops after this many steps at most.')
        spec.input('analysis.rdf_r_max_A', valid_type=orm.Float, default=lambda: orm.Float(8.0),
                   help='Largest distance of the partial RDFs, Angstrom.')
        spec.input('analysis.rdf_n_bins', valid_type=orm.Int, default=lambda: orm.Int(160),
                   help='Number of RDF bins from 0 to rdf_r_max_A.')
        spec.input('analysis.reference_crystals', valid_type=orm.List, required=False,
                   help='Names of aiida_lps.structures.crystals phases drawn with the glass RDFs; default: those of '
                        'the same composition.')
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.setup,
            while_(cls.has_glasses_to_sample)(
                cls.sample_next_glass,
            ),
            cls.analyse,
            cls.plot,
            cls.check_glasses,
        )
        spec.output_namespace('glasses', valid_type=orm.StructureData, dynamic=True,
                              help=f'glass_00, glass_01, ...: the glasses (Angstrom), each with the attribute '
                                   f'`{GLASS_SAMPLING_ATTRIBUTE}` (seed, motif counts, density in g/cm3, relaxations).')
        spec.output('rdf', valid_type=orm.ArrayData, help='Ensemble-averaged partial RDFs (ensemble_partial_rdfs).')
        spec.output_namespace('crystal_rdfs', valid_type=orm.ArrayData, dynamic=True,
                              help='Partial RDFs of the reference crystals (static cells).')
        spec.output('motif_fractions', valid_type=orm.Dict,
                    help='Motif fractions by P, per glass and ensemble mean/std, by distance and by connectivity.')
        spec.output('rdf_plot', valid_type=orm.SinglefileData, help='RDF panels glass vs crystals (PNG).')
        spec.output('motif_plot', valid_type=orm.SinglefileData, help='Motif fractions of the ensemble (PNG).')

        spec.exit_code(310, 'ERROR_SAMPLING_FAILED', message='sampling {label} (seed {seed}) failed: {error}')
        spec.exit_code(410, 'WARNING_MOTIFS_NOT_RECOVERED',
                       message='the connectivity analysis of {n_glasses} of {n_total} glasses ({labels}) does not '
                               'recover the requested motifs {requested}; outputs are attached, see the report')
        spec.exit_code(411, 'WARNING_ATOMS_TOO_CLOSE',
                       message='{n_glasses} of {n_total} glasses ({labels}) have atoms closer than physically '
                               'possible: the potential did not push them apart; outputs are attached, see the report')

    @classmethod
    def get_builder_from_protocol(cls, potential, composition, protocol: str | None = None,
                                  overrides: dict | None = None, n_formula_units: int | None = None,
                                  motif_ratio: dict | None = None):
        """Builder for an ensemble of ``composition`` glasses with the ``fast`` or ``precise`` protocol.

        :param potential: the potential (any ``PotentialData``).
        :param composition: formula (str) or x of (Li2S)_x(P2S5)_(1-x) (float).
        :param overrides: protocol keys (``n_atoms``, ``ensemble_size``, ``target_density_g_cm3``,
            ``relax_max_steps``, ...), see ``protocols/glass.yaml``.
        :param n_formula_units: formula units per glass; default: about the protocol's ``n_atoms``.
        :param motif_ratio: thiophosphate -> relative number of anions; default: the ideal ratio.
        """
        inputs = cls.get_protocol_inputs(protocol, overrides)
        if n_formula_units is None:
            n_formula_units = formula_units_for_atoms(composition, inputs['n_atoms'], motif_ratio)
        builder = cls.get_builder()
        builder.potential = potential
        builder.composition = orm.Str(composition) if isinstance(composition, str) else orm.Float(composition)
        if motif_ratio is not None:
            builder.motif_ratio = orm.Dict(motif_ratio)
        builder.n_formula_units = orm.Int(n_formula_units)
        builder.ensemble_size = orm.Int(inputs['ensemble_size'])
        builder.seed = orm.Int(inputs['seed'])
        builder.update(cls.protocol_namespaces(inputs))
        return builder

    @staticmethod
    def protocol_namespaces(inputs: dict) -> dict:
        """The ``sampling`` and ``analysis`` namespaces from protocol inputs (``get_protocol_inputs``)."""
        return {namespace: {name: node_type(inputs[name]) for name, node_type in settings.items()}
                for namespace, settings in PROTOCOL_SETTINGS.items()}

    def setup(self):
        """Seeds of the glasses, the requested motif fractions and the reference crystals; report the recipe."""
        recipe = recipe_from_inputs(self.inputs)
        size = self.inputs.ensemble_size.value
        if 'seeds' in self.inputs:
            self.ctx.seeds = self.inputs.seeds.get_list()
        else:
            self.ctx.seeds = [self.inputs.seed.value + index for index in range(size)]
        self.ctx.glasses = {}
        self.ctx.requested_fractions = requested_phosphorus_fractions(recipe.motif_counts)
        analysis = self.inputs.analysis
        self.ctx.reference_crystals = (analysis.reference_crystals.get_list() if 'reference_crystals' in analysis
                                       else crystals_of_composition(self.inputs.composition.value))
        counts = recipe.element_counts
        self.report(f'{size} glasses of {self.inputs.n_formula_units.value} x {self.inputs.composition.value} '
                    f'(Li{counts["Li"]}P{counts["P"]}S{counts["S"]}, {sum(counts.values())} atoms): motifs '
                    f'{recipe.motif_counts}, {recipe.n_isolated_sulfur} isolated S, seeds {self.ctx.seeds}')

    def has_glasses_to_sample(self):
        return len(self.ctx.glasses) < len(self.ctx.seeds)

    def sample_next_glass(self):
        """Sample the next glass of the ensemble (one calcfunction) and report its density and relaxations."""
        index = len(self.ctx.glasses)
        label, seed = glass_label(index), self.ctx.seeds[index]
        optional = {'motif_ratio': self.inputs.motif_ratio} if 'motif_ratio' in self.inputs else {}
        try:
            glass = sample_glass_with_potential(
                potential=self.inputs.potential, composition=self.inputs.composition,
                n_formula_units=self.inputs.n_formula_units, seed=orm.Int(seed), **self.inputs.sampling, **optional,
                metadata={'call_link_label': f'sample_{label}'},
            )
        except RuntimeError as error:  # Li placement; impossible recipes were refused at launch
            return self.exit_codes.ERROR_SAMPLING_FAILED.format(label=label, seed=seed, error=error)
        self.ctx.glasses[label] = glass
        self.out(f'glasses.{label}', glass)
        info = glass.base.attributes.get(GLASS_SAMPLING_ATTRIBUTE)
        relaxation = info['relaxation']
        self.report(
            f'{label} (seed {seed}): StructureData<{glass.pk}>, {len(glass.sites)} atoms, '
            f'{info["final_density_g_cm3"]:.3f} g/cm3 after {info["n_compression_steps"]} compression steps; '
            f'{relaxation["n_bfgs_steps"]} BFGS steps in {relaxation["n_relaxations"]} relaxations, '
            f'{relaxation["n_not_converged"]} stopped at {relaxation["max_steps"]} steps above '
            f'{relaxation["fmax_eV_per_A"]} eV/A; final max force {relaxation["final_max_force_eV_per_A"]:.2f} eV/A'
        )
        too_close = impossible_distances(info['shortest_distances_A'])
        if too_close:
            shown = ', '.join(f'{pair} {distance:.2f} A (< {limit} A)' for pair, (distance, limit) in too_close.items())
            self.report(f'{label}: physically impossible distances {shown}')

    def analyse(self):
        """Ensemble partial RDFs, the reference crystals' RDFs and the motif fractions of every glass."""
        r_max, n_bins = self.inputs.analysis.rdf_r_max_A, self.inputs.analysis.rdf_n_bins
        self.ctx.rdf = ensemble_partial_rdfs(r_max, n_bins, **self.ctx.glasses,
                                             metadata={'call_link_label': 'rdf_glasses'})
        self.out('rdf', self.ctx.rdf)
        self.ctx.crystal_rdfs = {}
        for name in self.ctx.reference_crystals:
            label = crystal_label(name)
            self.ctx.crystal_rdfs[label] = ensemble_partial_rdfs(
                r_max, n_bins, **{label: orm.StructureData(ase=get_crystal(name))},
                metadata={'call_link_label': f'rdf_{label}'},
            )
            self.out(f'crystal_rdfs.{label}', self.ctx.crystal_rdfs[label])
        self.ctx.motif_fractions = ensemble_motif_fractions(**self.ctx.glasses,
                                                            metadata={'call_link_label': 'motif_fractions'})
        self.out('motif_fractions', self.ctx.motif_fractions)
        for assignment, mean in self.ctx.motif_fractions['mean'].items():
            spread = self.ctx.motif_fractions['std'][assignment]
            shown = ', '.join(f'{motif} {value:.3f} +- {spread[motif]:.3f}' for motif, value in mean.items() if value)
            self.report(f'motif fractions of P {assignment} (ensemble mean +- std): {shown}')

    def plot(self):
        """RDF panels of the glasses against the crystals, and the motif fractions, as PNGs."""
        self.out('rdf_plot', plot_partial_rdfs_png(glass=self.ctx.rdf, **self.ctx.crystal_rdfs,
                                                   metadata={'call_link_label': 'plot_rdfs'}))
        self.out('motif_plot', plot_motif_fractions_png(self.ctx.motif_fractions,
                                                        metadata={'call_link_label': 'plot_motif_fractions'}))

    def check_glasses(self):
        """No glass may have impossible distances (411), and every glass must keep the requested motifs by
        connectivity (410); report the glasses that do not."""
        collapsed = [label for label, glass in self.ctx.glasses.items() if impossible_distances(
            glass.base.attributes.get(GLASS_SAMPLING_ATTRIBUTE)['shortest_distances_A'])]
        requested = self.ctx.requested_fractions
        unrecovered = []
        for label, entry in self.ctx.motif_fractions['structures'].items():
            differing = unrecovered_motifs(requested, entry['by_connectivity'])
            if differing:
                unrecovered.append(label)
                shown = ', '.join(f'{motif} {found:.3f} (requested {wanted:.3f})'
                                  for motif, (wanted, found) in differing.items())
                self.report(f'{label}: connectivity finds {shown}')
        n_total = len(self.ctx.glasses)
        if collapsed:
            return self.exit_codes.WARNING_ATOMS_TOO_CLOSE.format(n_glasses=len(collapsed), n_total=n_total,
                                                                  labels=', '.join(collapsed))
        if unrecovered:
            return self.exit_codes.WARNING_MOTIFS_NOT_RECOVERED.format(
                n_glasses=len(unrecovered), n_total=n_total, labels=', '.join(unrecovered), requested=requested)
        self.report(f'all {n_total} glasses keep the requested motifs {requested} by connectivity, and no pair is '
                    'closer than physically possible')
        return None
