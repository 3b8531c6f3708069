"""The HTML report: the writer on hand-made inputs, and a real training run's report opened in headless Chromium."""
import base64
import io
import subprocess
import sys

import pytest
from report_page import Page, chromium_dom

from aiida_lps.report.html import (
    Figure,
    Section,
    Source,
    Table,
    format_value,
    from_node,
    node_reference,
    write_report,
)

DICT = Source(101, '6b1c2d3e-0000-4000-8000-000000000101', 'Dict', 'result')
GLASS = Source(102, '6b1c2d3e-0000-4000-8000-000000000102', 'StructureData', 'glasses.glass_00')
PLOT = Source(103, '6b1c2d3e-0000-4000-8000-000000000103', 'SinglefileData', 'plot')
WORKFLOW = Source(100, '6b1c2d3e-0000-4000-8000-000000000100', 'WorkChainNode')


def png_bytes() -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(1, 1))
    FigureCanvasAgg(figure)
    figure.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=30)
    return buffer.getvalue()


def hand_made_section(png: bytes) -> Section:
    table = Table('Arrhenius fit', ('quantity', 'value', 'glass'), [
        ('E_A (eV)', from_node(0.31234, DICT, 0.0123), node_reference(GLASS)),
        ('density (g/cm3)', from_node(1.8, GLASS), 'label <b>'),
        ('Haven ratio', from_node(None, DICT), '-'),
    ])
    return Section('Conductivity', WORKFLOW, 'finished', 'node-100', notes=['No `rdf_plot` output.'],
                   tables=[table], figures=[Figure('Arrhenius plot', png, PLOT)])


def test_every_value_names_its_node_and_the_page_is_self_contained(tmp_path):
    png = png_bytes()
    path = write_report(tmp_path / 'report.html', 'Study 100', WORKFLOW, [hand_made_section(png)], 'written now')
    text = path.read_text(encoding='utf-8')
    page = Page(text)

    rows = page.table('Arrhenius fit')
    assert [[cell['text'] for cell in row[:2]] for row in rows] == [
        ['E_A (eV)', '0.3123 ± 0.012'], ['density (g/cm3)', '1.8'], ['Haven ratio', '—']]
    for row, source in zip(rows, (DICT, GLASS, DICT)):
        value = row[1]['attrs']
        assert (value['data-pk'], value['data-uuid']) == (str(source.pk), source.uuid)
        assert source.uuid in value['title']
        assert row[-1]['text'] == f'{source.kind} {source.pk} ({source.uuid[:8]}…)'  # visible in the row
    assert rows[0][1]['attrs']['class'] == 'num' and 'class' not in rows[2][1]['attrs']
    assert rows[0][2]['text'] == f'StructureData 102 ({GLASS.uuid[:8]}…)'  # a reference cell names its node
    assert rows[1][2]['text'] == 'label <b>'  # label text is escaped, not markup
    assert 'No `rdf_plot` output.' in text

    # one file: the image is the PNG itself as a data URI; no stylesheet, script or image is fetched
    assert len(page.images) == 1
    image = page.images[0]
    assert image['src'] == 'data:image/png;base64,' + base64.b64encode(png).decode()
    assert (image['data-pk'], image['data-uuid']) == ('103', PLOT.uuid)
    assert page.urls == [image['src']] and 'link' not in page.tags
    assert page.body['data-images-loaded'] == 'pending'  # set by the inline script once the browser has loaded


def test_values_without_a_node_and_images_that_are_not_png_are_refused():
    with pytest.raises(TypeError, match='wrap values read from a node with from_node'):
        Table('t', ('a', 'b'), [('energy', 1.5)]).html()
    with pytest.raises(ValueError, match='a row has 1 cells for 2 columns'):
        Table('t', ('a', 'b'), [('energy',)]).html()
    with pytest.raises(ValueError, match=r'figure `plot` \(node 103\) is not a PNG file'):
        Figure('plot', b'GIF89a', PLOT).html()


def test_format_value_known_answers():
    assert format_value(0.0012345678, 0.00012345) == '0.001235 ± 0.00012'
    assert format_value(12, None) == '12'
    assert (format_value(-3886.1234), format_value(1500.0), format_value(100.42), format_value(3.5e7)) == (
        '-3886.12', '1500', '100.42', '3.5e+07')
    assert format_value(3.0, float('nan')) == '3'
    assert (format_value(True), format_value(False), format_value(None), format_value('ok')) == ('yes', 'no', '—', 'ok')


def test_the_writer_imports_without_aiida():
    code = ('import sys, aiida_lps.report.html; '
            "sys.exit('aiida loaded' if any(m.split('.')[0] == 'aiida' for m in sys.modules) else 0)")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + result.stdout


# ------------------------------------------------------------------------------------------------ in a browser
def test_a_broken_image_is_caught_in_the_browser(tmp_path):
    """The page's own check can fail: a PNG cut short does not decode."""
    section = hand_made_section(png_bytes()[:60])
    path = write_report(tmp_path / 'broken.html', 'Study 100', WORKFLOW, [section], 'written now')
    page = chromium_dom(path, tmp_path)
    assert (page.body['data-images-loaded'], page.body['data-images-broken']) == ('false', '1')


@pytest.mark.requires_codes
def test_report_of_a_finished_training_run_opens_in_chromium(training_run, tmp_path):
    from click.testing import CliRunner

    from aiida_lps.cli.main import cli

    output = tmp_path / 'training.html'
    result = CliRunner().invoke(cli, ['report', str(training_run.pk), '-o', str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(output.resolve())

    page = chromium_dom(output, tmp_path)
    assert page.body['data-images-loaded'] == 'true'
    assert page.body['data-images-total'] == str(len(page.images)) == '1'
    assert page.images[0]['data-uuid'] == training_run.outputs.plot.uuid

    table_node = training_run.outputs.rmse_table
    generations = table_node['generations']
    rows = page.table('RMSE per generation')
    assert [row[0]['text'] for row in rows] == [str(row['generation']) for row in generations] == ['0', '1']
    validation_force = [row[8] for row in rows]
    assert [cell['text'] for cell in validation_force] == [
        format_value(row['rmse']['validation']['force_rmse_eV_per_A']) for row in generations]
    assert {cell['attrs']['data-uuid'] for cell in validation_force} == {table_node.uuid}
    gaps = [row[11]['text'] for row in rows]
    assert gaps == [f'GapPotentialData {potential.pk} ({potential.uuid[:8]}…)' for potential in (
        training_run.outputs.generations.gen_0.potential, training_run.outputs.generations.gen_1.potential)]
    snap_rows = page.table('Fast SNAP fitted alongside each GAP')
    assert [row[4]['text'] for row in snap_rows] == [
        format_value(row['rmse_snap']['validation']['force_rmse_eV_per_A']) for row in generations]
    snap = training_run.outputs.snap_potential
    assert snap_rows[-1][6]['text'] == f'SnapPotentialData {snap.pk} ({snap.uuid[:8]}…)'
    outputs = {row[0]['text']: row[1] for row in page.table('Outputs')}
    assert outputs['training set: configurations']['text'] == str(training_run.outputs.training_set.num_structures)
    assert outputs['validation set: configurations']['attrs']['data-pk'] == str(training_run.outputs.validation_set.pk)
    stage = page.table('Why each stage stopped')
    assert [cell['text'] for cell in stage[0][:2]] == ['perturb', table_node['stages']['perturb']['verdict']]


#: A tiny Arrhenius run: the 8-atom Morse cell is a hot liquid under the Morse-trained GAP at these temperatures.
TINY_MD = {'equilibration_ps': 0.06, 'thermostat_damping_fs': 50.0, 'production_ps': 0.4, 'dump_interval_fs': 20.0,
           'min_width_A': 0.0, 'min_atoms': 8}


def study_workchain():
    """A plain study work chain (defined here, as a main job would be) running a glass ensemble and an Arrhenius
    fit side by side."""
    from aiida.engine import ToContext, WorkChain

    from aiida_lps.workflows.conductivity import ArrheniusWorkChain
    from aiida_lps.workflows.glass import GlassSamplingWorkChain

    class TinyStudy(WorkChain):
        @classmethod
        def define(cls, spec):
            super().define(spec)
            spec.expose_inputs(GlassSamplingWorkChain, namespace='glass')
            spec.expose_inputs(ArrheniusWorkChain, namespace='conductivity')
            spec.outline(cls.launch, cls.done)

        def launch(self):
            return ToContext(**{
                namespace: self.submit(process, **self.exposed_inputs(process, namespace))
                for namespace, process in (('glass', GlassSamplingWorkChain), ('conductivity', ArrheniusWorkChain))
            })

        def done(self):
            pass

    return TinyStudy, GlassSamplingWorkChain, ArrheniusWorkChain


@pytest.mark.requires_codes
def test_report_of_a_study_has_a_section_per_workflow_below_it(aiida_profile, lps_code, tiny_gap_xml,
                                                                 morse_labelled_frames, tmp_path):
    from aiida import orm
    from aiida.engine import run_get_node

    from aiida_lps.data.gap_potential import GapPotentialData
    from aiida_lps.report.workflows import write_workflow_report

    study, glass_chain, arrhenius_chain = study_workchain()
    potential = GapPotentialData(tiny_gap_xml).store()
    glass = glass_chain.get_builder_from_protocol(potential, 'Li3PS4', protocol='fast', overrides={'ensemble_size': 1})
    glass.analysis.reference_crystals = orm.List(['beta-Li3PS4'])
    cell = morse_labelled_frames(count=1)[0]
    cell.calc = None
    conductivity = arrhenius_chain.get_builder_from_protocol(
        lps_code('lmp'), orm.StructureData(ase=cell), potential, [1500.0, 2000.0, 2500.0], protocol='fast',
        overrides=TINY_MD)
    conductivity.fit_start_ps, conductivity.fit_end_ps = orm.Float(0.06), orm.Float(0.2)
    conductivity.max_temperature_deviation = orm.Float(10.0)  # 8 atoms: the NVE temperature scatters by ~20 %
    conductivity.include_flowing = orm.Bool(True)  # a liquid: the plumbing is tested, not the physics
    builder = study.get_builder()
    builder.glass = glass._inputs(prune=True)
    builder.conductivity = conductivity._inputs(prune=True)
    _, node = run_get_node(builder)
    children = {child.process_label: child for child in node.called}
    glass_node, arrhenius = children['GlassSamplingWorkChain'], children['ArrheniusWorkChain']
    assert arrhenius.is_finished_ok, arrhenius.exit_message

    page = chromium_dom(write_workflow_report(node, tmp_path / 'study.html'), tmp_path)

    # one section per child, with every figure of both decoded
    assert page.body['data-images-loaded'] == 'true'
    assert [image['data-uuid'] for image in page.images] == [
        glass_node.outputs.rdf_plot.uuid, glass_node.outputs.motif_plot.uuid, arrhenius.outputs.arrhenius_plot.uuid]

    glasses = page.table('Glasses')
    glass_00 = glass_node.outputs.glasses.glass_00
    assert glasses[0][2]['attrs']['data-uuid'] == glass_00.uuid
    assert glasses[0][2]['text'] == format_value(glass_00.base.attributes.get('glass_sampling')['final_density_g_cm3'])
    motifs = {row[0]['text']: row for row in page.table('Motif fractions of P')}
    fractions = glass_node.outputs.motif_fractions
    assert motifs['PS4^3-'][2]['text'] == format_value(fractions['mean']['by_connectivity']['PS4^3-'],
                                                      fractions['std']['by_connectivity']['PS4^3-'])

    result = arrhenius.outputs.result
    fit = {row[0]['text']: row[1] for row in page.table('Arrhenius fit')}
    assert fit['activation energy E_A (eV)']['text'] == format_value(result['activation_energy_eV'],
                                                                     result['activation_energy_err_eV'])
    assert fit['activation energy E_A (eV)']['attrs']['data-uuid'] == result.uuid
    temperatures = page.table('Per temperature')
    assert [row[0]['text'] for row in temperatures] == ['1500', '2000', '2500']
    for row, label in zip(temperatures, ('T1500K', 'T2000K', 'T2500K')):
        summary = arrhenius.outputs.conductivities[label]
        assert row[2]['text'] == format_value(summary['measured_temperature_K'])
        assert row[6]['text'] == format_value(summary['conductivity_S_per_cm'], summary['conductivity_err_S_per_cm'])
        assert row[6]['attrs']['data-uuid'] == summary.uuid


def test_report_refuses_what_it_cannot_report(aiida_profile, tmp_path):
    from aiida import orm
    from click.testing import CliRunner

    from aiida_lps.cli.main import cli

    data = orm.Int(5).store()
    result = CliRunner().invoke(cli, ['report', str(data.pk), '-o', str(tmp_path / 'x.html')])
    assert result.exit_code != 0 and f'Int<{data.pk}> is not a workflow' in result.output
    workflow = orm.WorkflowNode().store()
    result = CliRunner().invoke(cli, ['report', workflow.uuid, '-o', str(tmp_path / 'x.html')])
    assert result.exit_code != 0 and 'report on it when it has finished' in result.output
    assert not (tmp_path / 'x.html').exists()
