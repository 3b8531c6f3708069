"""The validation plot (both Li MSD curves, both D, their ratio) and the report section of MdValidationWorkChain, on
the comparison of two random walks with D = 0.6 and 0.3 Angstrom^2/ps (no MD run)."""
import numpy as np
from random_walks import known_comparison

from aiida_lps.plotting.conductivity import plot_md_validation


def test_validation_plot_shows_both_curves_both_d_and_their_ratio(tmp_path):
    result = known_comparison()
    figure = plot_md_validation(result, path=tmp_path / 'msd.png')
    axes = figure.axes[0]
    np.testing.assert_allclose(axes.lines[0].get_ydata(), result['msd_A2']['mlip'])
    np.testing.assert_allclose(axes.lines[1].get_ydata(), result['msd_A2']['dft'])
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    for label, name, title in zip(labels, ('mlip', 'dft'), ('MLIP', 'DFT (pw.x)')):
        run = result[name]
        assert label == (f'{title}: D = {run["diffusivity_A2_per_ps"]:.3g} $\\pm$ '
                         f'{run["diffusivity_err_A2_per_ps"]:.2g} $\\AA^2$/ps')
    assert axes.get_title() == (f'$D_{{MLIP}} / D_{{DFT}}$ = {result["ratio"]:.3g} $\\pm$ {result["ratio_err"]:.2g} '
                                '(900 and 900 K)')
    assert (tmp_path / 'msd.png').read_bytes()[:4] == b'\x89PNG'
    undefined = plot_md_validation({**result, 'ratio': None, 'ratio_err': None})
    assert 'undefined (a D is not positive)' in undefined.axes[0].get_title()


def test_report_section_of_a_validation_has_both_d_their_ratio_and_the_plot(aiida_profile, tmp_path):
    """A finished MdValidationWorkChain node with its two outputs (made by the calcfunctions, no MD run)."""
    from aiida import orm
    from aiida.common.links import LinkType

    from aiida_lps.calculations.functions.md_validation_plot import md_validation_plot
    from aiida_lps.report.html import format_value
    from aiida_lps.report.workflows import report_sections, write_workflow_report

    result = orm.Dict(known_comparison()).store()
    plot = md_validation_plot(result)
    assert plot.get_content(mode='rb')[:4] == b'\x89PNG' and plot.filename == 'msd_mlip_dft.png'
    workflow = orm.WorkflowNode(process_type='aiida.workflows:lps.md_validation')
    workflow.set_process_state('finished')
    workflow.set_exit_status(0)
    workflow.store()
    for node, label in ((result, 'result'), (plot, 'msd_plot')):
        node.base.links.add_incoming(workflow, link_type=LinkType.RETURN, link_label=label)
    workflow.seal()

    [section] = report_sections(workflow)
    assert section.title == 'Li diffusion of the potential against pw.x MD' and not section.notes
    [table] = section.tables
    cells = {row[0]: row[1:] for row in table.rows}
    assert list(cells) == ['MLIP', 'DFT (pw.x)', 'D_MLIP / D_DFT']
    content = result.get_dict()
    for title, name in (('MLIP', 'mlip'), ('DFT (pw.x)', 'dft')):
        temperature, diffusivity, _, window, diffusive = cells[title]
        assert temperature.text == '900' and diffusive.text == 'yes' and window.text == '1 to 10'
        assert diffusivity.text == format_value(content[name]['diffusivity_A2_per_ps'],
                                                content[name]['diffusivity_err_A2_per_ps'])
        assert {cell.source.pk for cell in cells[title]} == {result.pk}
    ratio = cells['D_MLIP / D_DFT'][1]
    assert ratio.text == format_value(content['ratio'], content['ratio_err']) and ratio.source.pk == result.pk
    [figure] = section.figures
    assert figure.png == plot.get_content(mode='rb') and figure.source.pk == plot.pk
    page = write_workflow_report(workflow, tmp_path / 'validation.html').read_text()
    assert 'Li diffusion of the potential against pw.x MD' in page and result.uuid in page and plot.uuid in page
