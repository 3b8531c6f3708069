"""Archive round trip: DFT labels and a GAP fit exported with `verdi archive create`, imported into a fresh profile."""
import os
import subprocess
import sys

import pytest
from aiida import orm
from aiida.engine import run_get_node
from aiida.manage.caching import enable_caching
from aiida.tools.archive import import_archive
from aiida.tools.archive.abstract import get_format
from li2s_cells import FIXED_OCCUPATIONS, li2s_atoms

from aiida_lps import query
from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.potentials.gap import GAP_PRESETS
from aiida_lps.workflows.labelling import DftLabellingWorkChain

def graph(querybuilder_factory) -> tuple[set, set]:
    """Node UUIDs and links ``(source uuid, target uuid, type, label)`` of a profile or an archive."""
    nodes = set(querybuilder_factory().append(orm.Node, project='uuid').all(flat=True))
    links = querybuilder_factory().append(orm.Node, tag='source', project='uuid')
    links.append(orm.Node, with_incoming='source', project='uuid', edge_project=['type', 'label'])
    return nodes, {tuple(row) for row in links.all()}


def energy_of(potential, atoms):
    atoms = atoms.copy()
    atoms.calc = potential.get_calculator()
    return atoms.get_potential_energy()


@pytest.mark.requires_codes
def test_labels_and_potential_survive_an_archive_round_trip(
    aiida_profile, lps_code, pseudo_family, aiida_config_factory, aiida_profile_factory, tmp_path
):
    structures = {'li2s_a': orm.StructureData(ase=li2s_atoms(1))}
    builder = DftLabellingWorkChain.get_builder_from_protocol(
        lps_code('pw'), structures, protocol='fast', overrides=FIXED_OCCUPATIONS
    )
    with enable_caching(identifier='aiida.calculations:quantumespresso.pw'):
        results, labelling = run_get_node(builder)
    assert labelling.is_finished_ok, labelling.exit_message
    fit_results, fit = run_get_node(
        GapFitCalculation, code=lps_code('gap_fit'), training_set=results['training_set'],
        parameters=orm.Dict(GAP_PRESETS['fast']),
    )
    assert fit.is_finished_ok, fit.exit_message
    potential = fit_results['potential']
    probe = li2s_atoms(5)
    energy_before = energy_of(potential, probe)
    pw_uuids = {source.calculation.uuid for source in query.training_set_lineage(results['training_set']).sources}
    assert len(pw_uuids) == 1

    archive = tmp_path / 'labels_and_gap.aiida'
    verdi = os.path.join(os.path.dirname(sys.executable), 'verdi')
    subprocess.run([verdi, 'archive', 'create', '-N', str(labelling.pk), str(fit.pk), '--', str(archive)],
                   check=True, capture_output=True, text=True)
    with get_format().open(archive, 'r') as reader:
        archived_nodes, archived_links = graph(reader.querybuilder)
    source_nodes, source_links = graph(orm.QueryBuilder)
    # the archive holds the provenance of both: every process, input and output, with the links between them
    expected = {labelling.uuid, fit.uuid, potential.uuid, results['training_set'].uuid, *pw_uuids,
                *(node.uuid for node in labelling.called_descendants)}
    assert expected <= archived_nodes <= source_nodes
    assert archived_links == {link for link in source_links if {link[0], link[1]} <= archived_nodes}
    potential_uuid, training_set_uuid = potential.uuid, results['training_set'].uuid

    with aiida_config_factory(tmp_path / 'fresh') as config, aiida_profile_factory(config):
        assert orm.QueryBuilder().append(orm.Node).count() == 0
        import_archive(archive)
        imported_nodes, imported_links = graph(orm.QueryBuilder)
        assert imported_nodes == archived_nodes
        assert imported_links == archived_links
        imported = orm.load_node(potential_uuid)
        assert energy_of(imported, probe) == pytest.approx(energy_before, abs=1e-9)
        # the queries work on imported provenance: the potential's labels lead to the same pw.x run
        training_set = query.fitted_training_set(imported)
        assert training_set.uuid == training_set_uuid
        assert {source.calculation.uuid for source in query.training_set_lineage(training_set).sources} == pw_uuids
