"""Explorers of ``IterativeTrainingWorkChain``: how a stage proposes candidate structures in one generation.

MD snapshots with the current potential (``md``), rattled and strained copies (``perturb``), P-P distance scans
(``pp_scan``), random structures relaxed with the GAP (``random_search``) and glasses sampled with it, optionally
followed by their MD (``glass``), and pw.x MD whose frames are labelled by the run itself (``aimd``). A new
explorer subclasses ``Explorer`` and is added to ``EXPLORERS``.
"""
from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.common.links import LinkType

from aiida_lps.calculations.fitters import potential_fitters
from aiida_lps.calculations.functions.perturbed_structures import perturbed_structures
from aiida_lps.calculations.functions.pp_distance_scan import pp_distance_scan_structures
from aiida_lps.calculations.functions.random_structure_candidates import random_structure_candidates
from aiida_lps.calculations.functions.relax_with_potential import relax_with_potential
from aiida_lps.calculations.functions.sample_glass_with_potential import sample_glass_with_potential
from aiida_lps.calculations.functions.trajectory_snapshots import trajectory_snapshots
from aiida_lps.calculations.functions.training_set_from_pw_md import pw_md_label_inputs, training_set_from_pw_md
from aiida_lps.calculations.pw_md import MAX_TIMESTEP_FS, timestep_problem
from aiida_lps.structures.building_blocks import glass_recipe
from aiida_lps.structures.distortions import phosphorus_pairs
from aiida_lps.workflows.glass import PROTOCOL_SETTINGS as GLASS_PROTOCOL_SETTINGS
from aiida_lps.workflows.glass import GlassSamplingWorkChain, formula_units_for_atoms, glass_label, sampling_message
from aiida_lps.workflows.labelling import DftLabellingWorkChain, intended_label_settings
from aiida_lps.workflows.lammps_md_base import LammpsMdBaseWorkChain, md_base_inputs
from aiida_lps.workflows.pw_md import PwMdWorkChain


__all__ = ('EXPLORERS', 'Explorer', 'created_nodes', 'derived_seed', 'run_calcfunction')

def derived_seed(*keys: int) -> int:
    """A positive 31-bit seed from the run's seed and counters (generation, explorer, structure)."""
    return int(np.random.SeedSequence([int(key) for key in keys]).generate_state(1)[0] % (2**31 - 2)) + 1


def run_calcfunction(function, link_label: str, *args, **kwargs) -> orm.CalcFunctionNode:
    """Run ``function`` (a calcfunction) called ``link_label`` from the calling work chain; return its node."""
    _, node = function.run_get_node(*args, metadata={'call_link_label': link_label}, **kwargs)
    return node


def created_nodes(node: orm.ProcessNode) -> dict:
    """The nodes a calcfunction created, by link label."""
    return {link.link_label: link.node for link in node.base.links.get_outgoing(link_type=LinkType.CREATE).all()}


class Explorer:
    """How a stage proposes candidate structures in one generation.

    A new explorer subclasses this, sets ``name`` and ``defaults`` (every setting with its default; ``None`` marks a
    required one), implements ``launch`` and ``collect``, and is added to ``EXPLORERS``. ``launch`` returns processes
    (submitted or already run) by key; the work chain waits for all of them before calling ``collect``, which turns
    them into candidates and names the failures. An explorer that builds its own structures (glasses) sets
    ``needs_structures = False`` and gives their element counts in ``built_composition``; one that runs MD returns its
    ``md`` explorer settings from ``md_settings``, so the inputs it needs (``lammps_code``) are checked at launch. One
    whose runs label their own frames (``aimd``) sets ``labels_itself = True``: its ``collect`` returns
    ``TrainingSetData`` by key instead of structures, and they join the training set without selection or relabelling.
    """

    name: str
    defaults: dict
    needs_structures = True
    labels_itself = False

    @classmethod
    def settings(cls, settings: dict) -> dict:
        """``settings`` over the defaults, without ``type``."""
        return {**cls.defaults, **{key: value for key, value in settings.items() if key != 'type'}}

    @classmethod
    def validate(cls, settings: dict) -> str | None:
        """A message naming what is wrong with ``settings``, or None."""
        unknown = set(settings) - set(cls.defaults) - {'type'}
        if unknown:
            return f'explorer {cls.name}: unknown settings {sorted(unknown)}; known: {sorted(cls.defaults)}'
        missing = [key for key, value in cls.settings(settings).items() if value is None]
        if missing:
            return f'explorer {cls.name}: give {missing}'
        return cls.check(cls.settings(settings))

    @classmethod
    def check(cls, settings: dict) -> str | None:
        """A message naming what is wrong with the values of ``settings`` (defaults filled in), or None."""
        return None

    @classmethod
    def validate_structure(cls, label: str, structure: orm.StructureData) -> str | None:
        """A message when this explorer cannot start from ``structure``, or None."""
        return None

    @classmethod
    def built_composition(cls, settings: dict) -> dict:
        """Element -> number of atoms of one structure this explorer builds itself; empty for an explorer that starts
        from the stage's structures."""
        return {}

    @classmethod
    def md_settings(cls, settings: dict) -> dict | None:
        """The ``md`` explorer settings of the MD this explorer runs, or None."""
        return None

    @classmethod
    def launch(cls, workchain, structures: dict, settings: dict, potential, seed: int) -> dict:
        """Start exploring from ``structures`` (label -> StructureData) with the current GAP ``potential``.

        :return: the launched processes by key (a valid link label).
        """
        raise NotImplementedError

    @classmethod
    def created_structures(cls, launched: dict) -> dict:
        """Candidates ``<name>_<key>_<index>`` from calcfunctions returning ``structure_<index>`` outputs."""
        return {
            f'{cls.name}_{key}_{label.removeprefix("structure_")}': structure
            for key, node in launched.items()
            for label, structure in created_nodes(node).items()
        }

    @classmethod
    def collect(cls, workchain, launched: dict, settings: dict) -> tuple[dict, dict]:
        """Candidates (label -> StructureData) and failures (key -> reason) of the finished ``launched`` processes."""
        raise NotImplementedError


class MdExplorer(Explorer):
    """Snapshots of NVT molecular dynamics with the current GAP (thesis 5.2: 600 K, Nose-Hoover, 2 fs steps).

    An NVT equilibration without output is followed by an NVT production dumped every ``snapshot_spacing_ps``, so
    consecutive snapshots are that far apart in time; every dumped frame is a candidate. With ``potential: <kind>``
    (a fitter of ``lps.potential_fitters``: ``snap``, ``pod``) the MD runs with the current potential of that kind
    instead (needs ``<kind>_parameters``); a SNAP or POD is 20-120 times cheaper, so long runs find where
    the fast potential goes wrong, and DFT labels of those snapshots teach every potential.
    """

    name = 'md'
    defaults = {
        'temperatures_K': [600.0],
        'timestep_fs': 2.0,
        'damping_fs': 2000.0,
        'equilibration_ps': 2.0,
        'production_ps': None,
        'snapshot_spacing_ps': None,
        'potential': 'gap',
    }

    @classmethod
    def check(cls, settings):
        if not settings['temperatures_K'] or min(settings['temperatures_K']) <= 0:
            return 'explorer md: temperatures_K must be a non-empty list of positive temperatures'
        if settings['snapshot_spacing_ps'] * 1000.0 < settings['timestep_fs']:
            return 'explorer md: snapshot_spacing_ps must be at least one timestep'
        if settings['production_ps'] < settings['snapshot_spacing_ps']:
            return 'explorer md: production_ps must cover at least one snapshot spacing'
        if settings['potential'] not in potential_fitters():
            return f'explorer md: potential must be one of {list(potential_fitters())}, got {settings["potential"]!r}'
        return None

    @classmethod
    def md_settings(cls, settings):
        return cls.settings(settings)

    @staticmethod
    def md_parameters(settings: dict, temperature_K: float, seed: int) -> dict:
        """LammpsMdCalculation parameters: NVT equilibration (not dumped), then NVT production dumped per snapshot."""
        def steps(duration_ps):
            return int(round(duration_ps * 1000.0 / settings['timestep_fs']))

        thermostat = {'ensemble': 'nvt', 'temperature_K': temperature_K, 'damping_fs': settings['damping_fs']}
        stages = [{**thermostat, 'steps': steps(settings['production_ps']), 'dump': True}]
        if steps(settings['equilibration_ps']) > 0:
            stages.insert(0, {**thermostat, 'steps': steps(settings['equilibration_ps']), 'dump': False})
        every = steps(settings['snapshot_spacing_ps'])
        return {'timestep_fs': settings['timestep_fs'], 'initial_temperature_K': temperature_K, 'seed': seed,
                'thermo_every': every, 'dump_every': every, 'stages': stages}

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        if settings['potential'] != 'gap':
            potential = workchain.ctx[f'{settings["potential"]}_potential']
        launched = {}
        for index, (label, structure) in enumerate(structures.items()):
            for temperature_K in settings['temperatures_K']:
                key = f'{label}_{round(temperature_K)}K'
                parameters = cls.md_parameters(settings, temperature_K, derived_seed(seed, index, temperature_K))
                # a GAP with a hole loses atoms at any time step, so exploration does not retry with a shorter one
                # (2-4 times the MD cost); the close-contact stage labels the holes instead
                inputs = md_base_inputs(
                    workchain.exposed_inputs(LammpsMdBaseWorkChain, namespace='md'), f'md_{key}',
                    retry_lost_atoms=False, code=workchain.inputs.lammps_code, structure=structure,
                    potential=potential, parameters=parameters)
                launched[key] = workchain.submit(LammpsMdBaseWorkChain, **inputs)
        return launched

    @classmethod
    def collect(cls, workchain, launched, settings):
        candidates, failures = {}, {}
        for key, node in launched.items():
            if not node.is_finished_ok:
                failures[f'md_{key}'] = f'LammpsMdBaseWorkChain<{node.pk}> exit {node.exit_status}: {node.exit_message}'
                continue
            snapshots = run_calcfunction(trajectory_snapshots, f'snapshots_{key}', node.outputs.trajectory)
            for snapshot, structure in created_nodes(snapshots).items():
                candidates[f'md_{key}_{snapshot}'] = structure
        return candidates, failures


class PerturbExplorer(Explorer):
    """Rattled and strained copies of each structure (``aiida_lps.structures.perturb``); needs no GAP."""

    name = 'perturb'
    defaults = {'count_per_structure': None, 'rattle_A': 0.05, 'max_strain': 0.02}

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        return {
            label: run_calcfunction(
                perturbed_structures, f'perturb_{label}', structure, orm.Int(settings['count_per_structure']),
                orm.Float(settings['rattle_A']), orm.Float(settings['max_strain']), orm.Int(derived_seed(seed, index)),
            )
            for index, (label, structure) in enumerate(structures.items())
        }

    @classmethod
    def collect(cls, workchain, launched, settings):
        return cls.created_structures(launched), {}


class PPScanExplorer(Explorer):
    """One P of a P2S6^4- pair displaced along the P-P axis over a distance grid (thesis 5.4, Figure 6)."""

    name = 'pp_scan'
    defaults = {'distances_A': None}

    @classmethod
    def check(cls, settings):
        if min(settings['distances_A']) <= 0:
            return 'explorer pp_scan: distances_A must be positive (Angstrom)'
        return None

    @classmethod
    def validate_structure(cls, label, structure):
        if not phosphorus_pairs(structure.get_ase()):
            return f'explorer pp_scan: structure `{label}` has no P-P pair (no P2S6^4- unit); use e.g. Li4P2S6'
        return None

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        return {
            label: run_calcfunction(
                pp_distance_scan_structures, f'pp_scan_{label}', structure, orm.List(list(settings['distances_A']))
            )
            for label, structure in structures.items()
        }

    @classmethod
    def collect(cls, workchain, launched, settings):
        return cls.created_structures(launched), {}


class RandomSearchExplorer(Explorer):
    """Random structure search (thesis 5.5): ``n_generated`` random cells of each structure's composition (per-element
    bond lengths, ``volume_per_atom_A3``), of which the ``n_selected`` most dissimilar by farthest-point sampling on
    the global SOAP kernel are kept (``random_structure_candidates``); with ``relax_max_steps`` > 0 each is relaxed
    with the current GAP at fixed cell (GAP-RSS), else labelled as generated."""

    name = 'random_search'
    defaults = {'n_generated': None, 'n_selected': None, 'formula_unit_choices': [1, 2, 3],
                'volume_per_atom_A3': 20.0, 'relax_max_steps': 0, 'relax_fmax_eV_per_A': 0.5}

    @classmethod
    def check(cls, settings):
        if not 0 < settings['n_selected'] <= settings['n_generated']:
            return 'explorer random_search: need 0 < n_selected <= n_generated'
        return None

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        launched = {}
        for index, (label, structure) in enumerate(structures.items()):
            found = run_calcfunction(
                random_structure_candidates, f'random_search_{label}',
                orm.Str(structure.get_ase().get_chemical_formula(empirical=True)), orm.Int(settings['n_generated']),
                orm.Int(settings['n_selected']), orm.Int(derived_seed(seed, index)),
                orm.List(list(settings['formula_unit_choices'])), orm.Float(settings['volume_per_atom_A3']),
            )
            if settings['relax_max_steps'] == 0:
                launched[label] = found
                continue
            for name, candidate in created_nodes(found).items():
                if name.startswith('candidate_'):
                    key = f'{label}_{name.removeprefix("candidate_")}'
                    launched[key] = run_calcfunction(
                        relax_with_potential, f'relax_{key}', potential, candidate,
                        orm.Float(settings['relax_fmax_eV_per_A']), orm.Int(settings['relax_max_steps']))
        return launched

    @classmethod
    def collect(cls, workchain, launched, settings):
        """``random_search_<label>_<rank>``: the selected cells, or their GAP-relaxed structures."""
        candidates = {}
        for key, node in launched.items():
            for name, created in created_nodes(node).items():
                if name == 'structure':
                    candidates[f'{cls.name}_{key}'] = created
                elif name.startswith('candidate_'):
                    candidates[f'{cls.name}_{key}_{name.removeprefix("candidate_")}'] = created
        return candidates, {}


class GlassExplorer(Explorer):
    """Glasses sampled with the current GAP (thesis 5.3, Scheme 2; SPEC section 4), optionally followed by their MD.

    Each generation samples ``count`` glasses of ``composition`` (a formula such as ``Li3PS4`` or ``Li7P3S11``, or x
    of (Li2S)_x(P2S5)_(1-x)) in ``motif_ratio`` (empty: the ideal ratio), of about ``n_atoms`` atoms: one
    ``sample_glass_with_potential`` per glass, as in ``GlassSamplingWorkChain``, with the densities (g/cm3), scale
    factor and BFGS settings (eV/Angstrom, steps) of its protocol ``protocol`` (``protocols/glass.yaml``), updated by
    ``sampling``. Without ``md`` the glasses are the candidates (thesis generations 0-2). With ``md`` (settings of the
    ``md`` explorer) each glass is run through that NVT MD with the current GAP and its snapshots are the candidates
    instead of the glass (thesis generations 3-6, which labelled 600 K MD of glasses, not the glasses a ``glass``
    stage has already labelled). A sampling that fails (e.g. too few Voronoi vertices for the Li) is an exploration
    failure. Needs no starting structures.
    """

    name = 'glass'
    needs_structures = False
    defaults = {'composition': None, 'n_atoms': None, 'count': None, 'motif_ratio': {}, 'protocol': 'precise',
                'sampling': {}, 'md': {}}

    @classmethod
    def check(cls, settings):
        count, n_atoms = settings['count'], settings['n_atoms']
        if not isinstance(count, int) or count < 1:
            return f'explorer glass: count (glasses per generation) must be a positive integer, got {count!r}'
        if not isinstance(n_atoms, int) or n_atoms < 1:
            return f'explorer glass: n_atoms (atoms per glass) must be a positive integer, got {n_atoms!r}'
        try:
            cls.formula_units(settings)
            sampling = cls.sampling_inputs(settings)
        except ValueError as error:
            return f'explorer glass: {error}'
        message = sampling_message(sampling)
        if message:
            return f'explorer glass: sampling: {message}'
        if settings['md']:
            message = MdExplorer.validate(settings['md'])
            if message:
                return f'explorer glass: {message} (in its md settings)'
        return None

    @staticmethod
    def formula_units(settings: dict) -> int:
        """Formula units per glass: the first buildable count near ``n_atoms`` atoms.

        :raises ValueError: naming the fix for a composition that cannot be built or an ``n_atoms`` below the
            smallest glass of the composition and motif ratio.
        """
        composition, ratio = settings['composition'], settings['motif_ratio'] or None
        if not isinstance(composition, (str, float)):
            raise ValueError(f'composition must be a formula or x of (Li2S)_x(P2S5)_(1-x), got {composition!r}')
        try:
            smallest = formula_units_for_atoms(composition, 1, ratio)
        except ValueError as error:
            raise ValueError(f'composition {composition!r} with the motif ratio {ratio or "ideal"}: {error}; give a '
                             'glass-forming formula such as Li3PS4 or Li7P3S11') from None
        smallest_atoms = sum(glass_recipe(composition, smallest, ratio).element_counts.values())
        if settings['n_atoms'] < smallest_atoms:
            raise ValueError(f'n_atoms {settings["n_atoms"]} is fewer than the {smallest_atoms} atoms of the smallest '
                             f'{composition} glass ({smallest} formula unit(s)): give n_atoms >= {smallest_atoms}')
        return formula_units_for_atoms(composition, settings['n_atoms'], ratio)

    @staticmethod
    def sampling_inputs(settings: dict) -> dict:
        """The sampling inputs (port name -> node) of ``sample_glass_with_potential``: those of the
        ``GlassSamplingWorkChain`` protocol ``settings['protocol']`` with ``settings['sampling']`` over them.

        :raises ValueError: for an unknown protocol or sampling key, naming the known ones.
        """
        known = GLASS_PROTOCOL_SETTINGS['sampling']
        unknown = sorted(set(settings['sampling']) - set(known))
        if unknown:
            raise ValueError(f'unknown sampling settings {unknown}; known: {sorted(known)}')
        inputs = GlassSamplingWorkChain.get_protocol_inputs(settings['protocol'], settings['sampling'])
        return GlassSamplingWorkChain.protocol_namespaces(inputs)['sampling']

    @classmethod
    def built_composition(cls, settings):
        recipe = glass_recipe(settings['composition'], cls.formula_units(settings), settings['motif_ratio'] or None)
        return {element: count for element, count in recipe.element_counts.items() if count}

    @classmethod
    def md_settings(cls, settings):
        return MdExplorer.settings(settings['md']) if settings['md'] else None

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        """Sample the glasses (calcfunctions, run here; glass k with a seed derived from ``seed`` and k); with ``md``
        submit the MD of every glass that was sampled."""
        composition = settings['composition']
        inputs = {'potential': potential, 'n_formula_units': orm.Int(cls.formula_units(settings)),
                  'composition': orm.Str(composition) if isinstance(composition, str) else orm.Float(composition),
                  **cls.sampling_inputs(settings)}
        if settings['motif_ratio']:
            inputs['motif_ratio'] = orm.Dict(settings['motif_ratio'])
        launched = {}
        for index in range(settings['count']):
            label = glass_label(index)
            launched[label] = _run_or_excepted(workchain, sample_glass_with_potential, f'sample_{label}',
                                               seed=orm.Int(derived_seed(seed, index)), **inputs)
        md = cls.md_settings(settings)
        if md is not None:
            glasses = {label: node.outputs.result for label, node in launched.items() if node.is_finished_ok}
            launched.update(MdExplorer.launch(workchain, glasses, md, potential, seed))
        return launched

    @classmethod
    def collect(cls, workchain, launched, settings):
        """``glass_<k>``: the sampled glasses, or with ``md`` ``glass_<k>_<T>K_snapshot_<n>``: their MD snapshots."""
        samplings = {label: node for label, node in launched.items() if isinstance(node, orm.CalcFunctionNode)}
        failures = {
            f'sample_{label}': f'sample_glass_with_potential<{node.pk}> seed {node.inputs.seed.value}: '
                               f'{node.exception.strip().splitlines()[-1]}'
            for label, node in samplings.items() if not node.is_finished_ok
        }
        md = cls.md_settings(settings)
        if md is None:
            return {label: node.outputs.result for label, node in samplings.items() if node.is_finished_ok}, failures
        runs = {key: node for key, node in launched.items() if key not in samplings}
        snapshots, md_failures = MdExplorer.collect(workchain, runs, md)
        candidates = {label.removeprefix('md_'): structure for label, structure in snapshots.items()}
        return candidates, {**failures, **md_failures}


def _run_or_excepted(workchain, function, link_label: str, **inputs) -> orm.CalcFunctionNode:
    """Run the calcfunction ``function`` called ``link_label`` from ``workchain``; its node, also when it raised (then
    excepted, with the exception on the node: the caller records it as a failure instead of stopping)."""
    try:
        return run_calcfunction(function, link_label, **inputs)
    except RuntimeError:  # e.g. the Li placement of a glass; impossible inputs are refused at launch
        called = workchain.node.base.links.get_outgoing(link_label_filter=link_label).all()
        return max((link.node for link in called), key=lambda node: node.pk)


class AimdExplorer(Explorer):
    """Frames of pw.x MD (``PwMdWorkChain``) with the training's own DFT settings, labelled by the run itself.

    Each structure runs at each of ``temperatures_K`` (K): ``equilibration_steps`` Andersen NVT steps (collision time
    ``thermostat_damping_fs``), then ``production_steps`` NVE steps of ``timestep_fs`` (fs; at most the Li bound,
    2 fs). The first production frame and every ``stride_steps``-th after it (``training_set_from_pw_md``) go into the
    training set with the energies and forces pw.x computed at them: no selection and no second DFT run, and their
    provenance leads to the ``PwMdCalculation``, so ``label_settings_mismatch`` checks them like single points. The
    frames of a run that stopped early (SCF, wall time) are kept and the failure reported. Costs DFT per MD step
    (docs/aimd.md): for small cells and hot, anharmonic states a GAP MD explorer does not reach.
    """

    name = 'aimd'
    labels_itself = True
    defaults = {
        'temperatures_K': [600.0],
        'timestep_fs': 2.0,
        'equilibration_steps': None,
        'thermostat_damping_fs': 100.0,
        'production_steps': None,
        'stride_steps': None,
    }

    @classmethod
    def check(cls, settings):
        if not settings['temperatures_K'] or min(settings['temperatures_K']) <= 0:
            return 'explorer aimd: temperatures_K must be a non-empty list of positive temperatures'
        message = timestep_problem(settings['timestep_fs'], list(MAX_TIMESTEP_FS))
        if message:
            return f'explorer aimd: {message}'
        if not isinstance(settings['stride_steps'], int) or settings['stride_steps'] < 1:
            return f'explorer aimd: stride_steps must be a positive integer, got {settings["stride_steps"]!r}'
        if settings['equilibration_steps'] < 0 or settings['production_steps'] < settings['stride_steps']:
            return ('explorer aimd: need equilibration_steps >= 0 and production_steps >= stride_steps (got '
                    f'{settings["equilibration_steps"]}, {settings["production_steps"]}, {settings["stride_steps"]})')
        return None

    @classmethod
    def md_inputs(cls, labelling, structure: orm.StructureData, settings: dict, temperature_K: float,
                  seed: int) -> dict:
        """``PwMdWorkChain`` inputs for ``structure`` with the DFT settings of the ``labelling`` inputs (pw.x code,
        pseudopotential family, namelists, k-point spacing, options), so the frames are labelled as the training's."""
        pw_base = labelling['pw_base']
        parameters = pw_base['pw']['parameters'].get_dict()
        system = parameters.setdefault('SYSTEM', {})
        if not {'ecutwfc', 'ecutrho'} <= set(system):  # as DftLabellingWorkChain completes them
            intended = intended_label_settings(labelling, structure.get_symbols_set())
            system.update(ecutwfc=intended['ecutwfc'], ecutrho=intended['ecutrho'])
        options = dict(pw_base['pw'].get('metadata', {}).get('options', {}))
        md = {'temperature_K': orm.Float(temperature_K), 'timestep_fs': orm.Float(settings['timestep_fs']),
              'equilibration_steps': orm.Int(settings['equilibration_steps']),
              'thermostat_damping_fs': orm.Float(settings['thermostat_damping_fs']),
              'production_steps': orm.Int(settings['production_steps']), 'dump_every': orm.Int(1),
              'seed': orm.Int(seed)}
        return {'code': pw_base['pw']['code'], 'structure': structure, 'pseudo_family': labelling['pseudo_family'],
                'parameters': orm.Dict(parameters), 'kpoints_distance': pw_base['kpoints_distance'], 'md': md,
                'options': options}

    @classmethod
    def launch(cls, workchain, structures, settings, potential, seed):
        labelling = workchain.exposed_inputs(DftLabellingWorkChain, namespace='labelling')
        launched = {}
        for index, (label, structure) in enumerate(structures.items()):
            for temperature_K in settings['temperatures_K']:
                key = f'{label}_{round(temperature_K)}K'
                inputs = cls.md_inputs(labelling, structure, settings, temperature_K,
                                       derived_seed(seed, index, temperature_K))
                launched[key] = workchain.submit(PwMdWorkChain, **inputs, metadata={'call_link_label': f'aimd_{key}'})
        return launched

    @classmethod
    def collect(cls, workchain, launched, settings):
        """``aimd_<key>``: a ``TrainingSetData`` of the strided production frames of each run, tagged with the
        generation, stage, run and temperature; failed runs are named in the failures (with the frames they have)."""
        labelled, failures = {}, {}
        row = workchain.ctx.row if workchain is not None else {}
        for key, node in launched.items():
            if not node.is_finished_ok:
                failures[f'aimd_{key}'] = f'PwMdWorkChain<{node.pk}> exit {node.exit_status}: {node.exit_message}'
            if 'trajectory' not in node.outputs:
                continue
            tags = {name: row[name] for name in ('generation', 'stage') if name in row}
            tags.update(md_run=key, temperature_K=node.inputs.md.temperature_K.value)
            labels = run_calcfunction(training_set_from_pw_md, f'labels_{key}', tags=orm.Dict(tags),
                                      **pw_md_label_inputs(node, settings['stride_steps']))
            labelled[f'aimd_{key}'] = labels.outputs.result
        return labelled, failures


#: Explorers by the ``type`` of a stage's explorer definition.
EXPLORERS = {explorer.name: explorer for explorer in (MdExplorer, PerturbExplorer, PPScanExplorer,
                                                      RandomSearchExplorer, GlassExplorer, AimdExplorer)}
