"""The HTML report of a finished workflow: one section per aiida-lps workflow at or below the node.

Each section reads the workflow's outputs (the numbers of the tables come from the output ``Dict`` nodes, the
figures are the PNG ``SinglefileData`` outputs) and names every node it read with its PK and UUID. A "study" (any
workflow that called several of these) gets one section per workflow found among its called descendants, in the
order they were created. :mod:`aiida_lps.report.html` writes the page.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from aiida import orm
from aiida.manage import get_manager

from aiida_lps import __version__
from aiida_lps.analysis.conductivity_summary import interval_text
from aiida_lps.calculations.functions.sample_glass_with_potential import GLASS_SAMPLING_ATTRIBUTE
from aiida_lps.report.html import MISSING, Figure, Section, Source, Table, from_node, node_reference, write_report

__all__ = ('ReportError', 'SECTIONS', 'report_sections', 'reported_workflows', 'write_workflow_report')


class ReportError(ValueError):
    """The node cannot be reported on (not a finished workflow, or none of the known workflows below it)."""


def _source(node: orm.Node, name: str | None = None) -> Source:
    """The :class:`Source` of ``node``: its class name and, for an output or input, the link ``name``."""
    return Source(node.pk, node.uuid, type(node).__name__, name or '')


def _linked(manager, name: str):
    """The node at the dotted link ``name`` (e.g. ``generations.gen_1.potential``) of ``manager``, or None."""
    current = manager
    for part in name.split('.'):
        if part not in current:
            return None
        current = current[part]
    return current


def _new_section(workflow: orm.WorkflowNode, title: str) -> Section:
    """A section headed by the workflow's state and exit status."""
    status = f'{workflow.process_label}, {workflow.process_state.value}'
    if workflow.exit_status is not None:
        status += f' with exit status {workflow.exit_status}'
    if workflow.exit_message:
        status += f': {workflow.exit_message}'
    return Section(title=title, source=_source(workflow), status=status, anchor=f'node-{workflow.pk}',
                   warning=not workflow.is_finished_ok)


def _figure(section: Section, workflow: orm.WorkflowNode, name: str, caption: str) -> None:
    """Add the PNG output ``name`` to ``section``, or a note that the workflow did not produce it."""
    image = _linked(workflow.outputs, name)
    if image is None:
        section.notes.append(f'No `{name}` output: no figure "{caption}".')
        return
    section.figures.append(Figure(caption, image.get_content(mode='rb'), _source(image, name)))


def _output_dict(section: Section, workflow: orm.WorkflowNode, name: str) -> tuple[dict, Source] | None:
    """The content and source of the Dict output ``name``, or None with a note in ``section``."""
    node = _linked(workflow.outputs, name)
    if node is None:
        section.notes.append(f'No `{name}` output: its tables are left out.')
        return None
    return node.get_dict(), _source(node, name)


# ---------------------------------------------------------------------------------------------------- training
def training_section(workflow: orm.WorkflowNode) -> Section:
    """IterativeTrainingWorkChain: final sets and GAP, RMSE per generation, why each stage stopped, the plot."""
    section = _new_section(workflow, 'Iterative GAP training')
    outputs = []
    for name in ('training_set', 'validation_set'):
        node = _linked(workflow.outputs, name)
        if node is not None:
            outputs.append((f'{name.replace("_", " ")}: configurations', from_node(node.num_structures,
                                                                                _source(node, name))))
    potential = _linked(workflow.outputs, 'potential')
    if potential is not None:
        outputs.append(('final GAP: species', from_node(', '.join(potential.species), _source(potential, 'potential'))))
    if outputs:
        section.tables.append(Table('Outputs', ('output', 'value'), outputs))
    content = _output_dict(section, workflow, 'rmse_table')
    if content is not None:
        table, source = content
        section.tables.append(_generations_table(workflow, table['generations'], source))
        kinds = sorted({key.removeprefix('rmse_') for row in table['generations'] for key in row
                        if key.startswith('rmse_')})
        for kind in kinds:  # the potentials fitted alongside the GAP (<kind>_parameters)
            rows = [row for row in table['generations'] if f'rmse_{kind}' in row]
            if rows:
                section.tables.append(_linear_potential_table(workflow, kind, rows, source))
        section.tables.append(Table('Why each stage stopped', ('stage', 'verdict', 'reason', 'last generation'), [
            (name, from_node(outcome['verdict'], source), from_node(outcome['reason'], source),
             from_node(outcome['last_generation'], source))
            for name, outcome in table['stages'].items()
        ]))
    _figure(section, workflow, 'plot', 'RMSE per generation and force parity')
    return section


GENERATION_COLUMNS = (
    'gen.', 'stage', 'training configs', 'labelled', 'failed', 'train E', 'train F', 'validation E',
    'validation F', 'new labels F, previous GAP', 'new labels F, refitted GAP', 'GAP of the generation',
)


def _generations_table(workflow: orm.WorkflowNode, generations: list, source: Source) -> Table:
    """One row per generation of ``rmse_table``; the start row counts the initial labels."""
    rows = []
    for row in generations:
        rmse = row.get('rmse', {})
        initial = row.get('initial_structures', {})
        potential = _linked(workflow.outputs, f'generations.gen_{row["generation"]}.potential')
        rows.append((
            from_node(row['generation'], source), from_node(row['stage'], source),
            from_node(row.get('n_training'), source),
            from_node(row.get('n_labelled', initial.get('n_labelled')), source),
            from_node(row.get('n_failed', initial.get('n_failed')), source),
            from_node(rmse.get('train', {}).get('energy_rmse_meV_per_atom'), source),
            from_node(rmse.get('train', {}).get('force_rmse_eV_per_A'), source),
            from_node(rmse.get('validation', {}).get('energy_rmse_meV_per_atom'), source),
            from_node(rmse.get('validation', {}).get('force_rmse_eV_per_A'), source),
            from_node(rmse.get('new_labels_old_potential', {}).get('force_rmse_eV_per_A'), source),
            from_node(rmse.get('new_labels_new_potential', {}).get('force_rmse_eV_per_A'), source),
            MISSING if potential is None else node_reference(_source(potential)),
        ))
    return Table('RMSE per generation (E: energy RMSE, meV/atom; F: force RMSE, eV/Å)', GENERATION_COLUMNS,
                 rows)


def _linear_potential_table(workflow: orm.WorkflowNode, kind: str, generations: list, source: Source) -> Table:
    """The ``kind`` potential (``snap``, ``pod``, ...) fitted alongside each GAP next to that GAP, on the same sets."""
    name = kind.upper()
    rows = []
    for row in generations:
        rmse, fast = row.get('rmse', {}), row[f'rmse_{kind}']
        potential = _linked(workflow.outputs, f'generations.gen_{row["generation"]}.{kind}_potential')
        rows.append((
            from_node(row['generation'], source),
            from_node(rmse.get('train', {}).get('force_rmse_eV_per_A'), source),
            from_node(fast['train'].get('force_rmse_eV_per_A'), source),
            from_node(rmse.get('validation', {}).get('force_rmse_eV_per_A'), source),
            from_node(fast.get('validation', {}).get('force_rmse_eV_per_A'), source),
            from_node(fast.get('validation', {}).get('energy_rmse_meV_per_atom'), source),
            MISSING if potential is None else node_reference(_source(potential)),
        ))
    columns = ('gen.', 'train F, GAP', f'train F, {name}', 'validation F, GAP', f'validation F, {name}',
               f'validation E, {name}', f'{name} of the generation')
    return Table(f'Fast {name} fitted alongside each GAP (E: meV/atom; F: eV/Å)', columns, rows)


# ---------------------------------------------------------------------------------------------------- glass
def glass_section(workflow: orm.WorkflowNode) -> Section:
    """GlassSamplingWorkChain: composition, per-glass density and motifs, ensemble motif fractions, RDF/motif plots."""
    section = _new_section(workflow, 'Glass ensemble')
    inputs = []
    for name, label in (('composition', 'composition (formula or x of (Li2S)x(P2S5)1-x)'),
                        ('n_formula_units', 'formula units per glass'), ('ensemble_size', 'glasses'),
                        ('sampling.target_density_g_cm3', 'target density (g/cm³)')):
        node = _linked(workflow.inputs, name)
        if node is not None:
            inputs.append((label, from_node(node.value, _source(node, name))))
    section.tables.append(Table('Inputs', ('input', 'value'), inputs))

    content = _output_dict(section, workflow, 'motif_fractions')
    glasses = _linked(workflow.outputs, 'glasses') or {}
    if content is not None:
        fractions, source = content
        motifs = list(fractions['mean']['by_connectivity'])
        present = [motif for motif in motifs if fractions['mean']['by_connectivity'][motif]] or motifs
        rows = []
        for label in sorted(glasses):
            glass = glasses[label]
            glass_source = _source(glass, f'glasses.{label}')
            info = glass.base.attributes.get(GLASS_SAMPLING_ATTRIBUTE, {})
            per_glass = fractions['structures'].get(label, {}).get('by_connectivity', {})
            rows.append((label, from_node(len(glass.sites), glass_source),
                         from_node(info.get('final_density_g_cm3'), glass_source),
                         from_node(info.get('n_compression_steps'), glass_source),
                         *(from_node(per_glass.get(motif), source) for motif in present)))
        section.tables.append(Table(
            'Glasses', ('glass', 'atoms', 'density (g/cm³)', 'compression steps',
                        *(f'{motif} fraction of P (connectivity)' for motif in present)), rows))
        section.tables.append(Table(
            'Motif fractions of P, ensemble mean ± standard deviation',
            ('motif', 'by P-P distance (thesis)', 'by connectivity'),
            [(motif, *(from_node(fractions['mean'][name][motif], source, fractions['std'][name][motif])
                       for name in ('by_distance', 'by_connectivity')))
             for motif in motifs],
        ))
    _figure(section, workflow, 'rdf_plot', 'Partial RDFs of the glasses and the reference crystals')
    _figure(section, workflow, 'motif_plot', 'Motif fractions of the ensemble')
    return section


# ---------------------------------------------------------------------------------------------------- conductivity
def conductivity_section(workflow: orm.WorkflowNode) -> Section:
    """ArrheniusWorkChain: E_A and sigma(300 K) with intervals, D, sigma and phase per temperature, the plot."""
    section = _new_section(workflow, 'Ionic conductivity (Arrhenius)')
    content = _output_dict(section, workflow, 'result')
    result, result_source = content if content is not None else ({}, None)
    if content is not None:
        section.tables.append(Table('Arrhenius fit: ln(σT) = ln A − E_A/(k_B T)', ('quantity', 'value'), [
            ('activation energy E_A (eV)',
             from_node(result['activation_energy_eV'], result_source, result['activation_energy_err_eV'])),
            (f'E_A, {100 * result["confidence"]:g} % interval (eV)',
             from_node(interval_text(result['activation_energy_interval_eV'], '.3f'), result_source)),
            (f'σ({result["room_temperature_K"]:g} K), extrapolated (S/cm)',
             from_node(result['conductivity_300K_S_per_cm'], result_source)),
            (f'σ({result["room_temperature_K"]:g} K), {100 * result["confidence"]:g} % interval, log-normal (S/cm)',
             from_node(interval_text(result['conductivity_300K_interval_S_per_cm']), result_source)),
            ('intervals', from_node(result['interval_method'], result_source)),
            ('prefactor A (S K/cm)', from_node(result['prefactor_S_K_per_cm'], result_source)),
            ('reduced χ² of the weighted fit', from_node(result['fit']['chi2_reduced'], result_source)),
            ('temperatures fitted', from_node(len(result['temperatures_K']), result_source)),
        ]))
    conductivities = _linked(workflow.outputs, 'conductivities') or {}
    rows = []
    for label in sorted(conductivities, key=lambda label: conductivities[label]['temperature_K']):
        node = conductivities[label]
        summary, source = node.get_dict(), _source(node, f'conductivities.{label}')
        temperature = f'{summary["temperature_K"]:g}'
        if result_source is None:
            in_fit = MISSING
        else:
            in_fit = from_node(f'no: {result["excluded"][temperature]}' if temperature in result['excluded']
                               else 'yes', result_source)
        rows.append((
            from_node(summary['temperature_K'], source), from_node(summary['production_temperature_K'], source),
            from_node(summary['measured_temperature_K'], source),
            from_node(f'{summary["n_structures"] - len(summary["not_diffusive"])} of {summary["n_structures"]}',
                      source),
            from_node(summary['diffusivity_A2_per_ps'], source, summary['diffusivity_err_A2_per_ps']),
            from_node(summary['diffusivity_cm2_per_s'], source, summary['diffusivity_err_cm2_per_s']),
            from_node(summary['conductivity_S_per_cm'], source, summary['conductivity_err_S_per_cm']),
            from_node(summary['haven_ratio'], source, summary['haven_ratio_err']),
            from_node(summary['matrix_flowing'], source),
            from_node(', '.join(f'{label}: {phase}' for label, phase in summary['final_phases'].items()) or None,
                      source),
            in_fit,
        ))
    section.tables.append(Table('Per temperature (ensemble of structures, tracer D, Nernst-Einstein σ at the '
                                'measured T)', (
        'T (K)', 'mean NVE T (K)', 'T of σ and 1/T (K)', 'structures diffusive', 'D (Å²/ps)', 'D (cm²/s)',
        'σ (S/cm)', 'Haven ratio', 'P/S matrix flows', 'phase at the end', 'in the Arrhenius fit'), rows))
    _figure(section, workflow, 'arrhenius_plot', 'Arrhenius plot: σT against 1000/T with error bars and fit')
    return section


# ---------------------------------------------------------------------------------------------------- validation
def md_validation_section(workflow: orm.WorkflowNode) -> Section:
    """MdValidationWorkChain: D and sigma of the MLIP and the pw.x run, D_MLIP / D_DFT, both MSD curves in one plot."""
    section = _new_section(workflow, 'Li diffusion of the potential against pw.x MD')
    content = _output_dict(section, workflow, 'result')
    if content is not None:
        result, source = content
        rows = [(
            title, from_node(run['temperature_K'], source),
            from_node(run['diffusivity_A2_per_ps'], source, run['diffusivity_err_A2_per_ps']),
            from_node(run['conductivity_S_per_cm'], source, run['conductivity_err_S_per_cm']),
            from_node(interval_text([run['fit_start_ps'], run['fit_end_ps']], '.3g'), source),
            from_node('yes' if run['is_diffusive'] else f'no: {run["not_diffusive_reason"]}', source),
        ) for title, run in (('MLIP', result['mlip']), ('DFT (pw.x)', result['dft']))]
        rows.append(('D_MLIP / D_DFT', MISSING,
                     from_node(result['ratio'], source, result['ratio_err']) if result['ratio'] is not None
                     else from_node('undefined: a D is not positive', source), MISSING, MISSING, MISSING))
        section.tables.append(Table(
            'Same cell, temperature and seed with the potential (LAMMPS) and with pw.x (tracer D, Nernst-Einstein σ '
            'at the mean production T; the ratio\'s error adds the relative errors in quadrature)',
            ('run', 'mean production T (K)', 'D (Å²/ps)', 'σ (S/cm)', 'fit window (ps)', 'diffusive'), rows))
    _figure(section, workflow, 'msd_plot', 'Li MSD of both runs, with both D and D_MLIP / D_DFT')
    return section


# ---------------------------------------------------------------------------------------------------- composition
def composition_section(workflow: orm.WorkflowNode) -> Section:
    """CompositionSweepWorkChain: E_f and energy above hull per relaxed structure, miscibility gaps, the hull plot."""
    section = _new_section(workflow, 'Composition sweep and convex hull')
    content = _output_dict(section, workflow, 'results')
    if content is not None:
        results, source = content
        rows = []
        for label, row in sorted(results['structures'].items(), key=lambda item: (-item[1]['x'], item[0])):
            structure = _linked(workflow.outputs, f'relaxed_structures.{label}')
            rows.append((
                label, from_node(row['formula'], source), from_node(row['x'], source),
                from_node(row.get('kind'), source), from_node(row.get('step'), source),
                from_node(row['energy_eV'], source), from_node(row['formation_energy_meV_per_atom'], source),
                from_node(row['e_above_hull_meV_per_atom'], source), from_node(row['on_hull'], source),
                MISSING if structure is None else node_reference(_source(structure)),
            ))
        section.tables.append(Table('Relaxed structures on the Li2S-P2S5 line, (Li2S)x(P2S5)1-x', (
            'label', 'formula', 'x', 'origin', 'step', 'DFT energy (eV)', 'E_f (meV/atom)',
            'E above hull (meV/atom)', 'on hull', 'relaxed structure'), rows))
        section.tables.append(Table(
            f'Miscibility gaps (no composition within {results["threshold_meV_per_atom"]:g} meV/atom of the hull)',
            ('x from', 'x to', 'lowest sampled E above hull (meV/atom)'),
            [(from_node(gap['x_low'], source), from_node(gap['x_high'], source),
              from_node(gap['lowest_e_above_hull_meV_per_atom'], source)) for gap in results['miscibility_gaps']],
        ))
        section.tables.append(Table('End-member references', ('reference', 'DFT energy (eV per formula unit)'), [
            (name.removesuffix('_eV_per_formula_unit'), from_node(value, source))
            for name, value in results['references'].items()
        ]))
    _figure(section, workflow, 'hull_plot', 'Formation energy against x with the lower convex hull')
    return section


#: Section builder by workflow entry point.
SECTIONS = {
    'lps.training.iterative': training_section,
    'lps.glass.sample': glass_section,
    'lps.conductivity.arrhenius': conductivity_section,
    'lps.md_validation': md_validation_section,
    'lps.ga.sweep': composition_section,
}


def _entry_point(node: orm.Node) -> str | None:
    """``lps.training.iterative`` for a node of ``aiida.workflows:lps.training.iterative``, else None."""
    group, _, name = (getattr(node, 'process_type', None) or '').partition(':')
    return name if group == 'aiida.workflows' else None


def reported_workflows(node: orm.Node) -> list[orm.WorkflowNode]:
    """The workflows of :data:`SECTIONS` at or below ``node``, in the order they were created.

    :raises ReportError: when ``node`` is not a terminated workflow, or none is found.
    """
    if not isinstance(node, orm.WorkflowNode):
        raise ReportError(f'{type(node).__name__}<{node.pk}> is not a workflow: give the PK of a work chain')
    name = f'{node.process_label or type(node).__name__}<{node.pk}>'
    if not node.is_terminated:
        state = node.process_state.value if node.process_state else 'not started'
        raise ReportError(f'{name} is {state}: report on it when it has finished')
    found = [candidate for candidate in [node, *sorted(node.called_descendants, key=lambda called: called.pk)]
             if _entry_point(candidate) in SECTIONS]
    if not found:
        raise ReportError(f'{name} neither is nor called any of {sorted(SECTIONS)}: nothing to report')
    return found


def report_sections(node: orm.Node) -> list[Section]:
    """One section per workflow of :func:`reported_workflows`."""
    return [SECTIONS[_entry_point(workflow)](workflow) for workflow in reported_workflows(node)]


def write_workflow_report(node: orm.Node, path) -> Path:
    """Write the self-contained HTML report of the finished workflow ``node`` to ``path``; return the path."""
    sections = report_sections(node)
    profile = get_manager().get_profile()
    written = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    footer = f'Written {written} by aiida-lps {__version__} from AiiDA profile `{profile.name}`.'
    return write_report(path, f'{node.process_label} {node.pk}', _source(node), sections, footer)
