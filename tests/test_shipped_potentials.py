"""`aiida-lps potentials`: ship a training run's set and fast potential, import it into a fresh profile."""
import shutil

import pytest
from aiida import orm
from click.testing import CliRunner

from aiida_lps import query
from aiida_lps.cli.potentials import SHIPPED_FOLDER, potentials, read_catalogue, ship


def _invoke(*arguments):
    return CliRunner().invoke(potentials, [str(argument) for argument in arguments])


def test_the_shipped_catalogue_names_readable_archives():
    from aiida_lps.cli.potentials import archive_problem

    for name, entry in read_catalogue(SHIPPED_FOLDER).items():
        assert archive_problem(SHIPPED_FOLDER / entry['archive'], entry['nodes']) is None, name


@pytest.mark.requires_codes
def test_a_shipped_potential_imports_into_a_fresh_profile_once_and_bad_archives_are_refused(
    training_run, aiida_config_factory, aiida_profile_factory, tmp_path
):
    folder = tmp_path / 'shipped'
    outputs = training_run.outputs
    nodes = {'training_set': outputs.training_set, 'validation_set': outputs.validation_set,
             'reference_energies': outputs.reference_energies, 'snap': outputs.snap_potential}
    gap_parameters = training_run.inputs.gap_fit.parameters.get_dict()
    entry = ship(folder, 'tiny', 'a one-generation Li2S run', nodes, gap_refit={'parameters': gap_parameters})
    pw_uuids = {source.calculation.uuid for source in query.training_set_lineage(outputs.training_set).sources}
    snap_energy = outputs.snap_potential.get_calculator()
    assert entry['archive_MB'] < 5

    listing = _invoke('--catalogue', folder)
    assert listing.exit_code == 0, listing.output
    assert 'tiny: a one-generation Li2S run (its GAP is refitted at import)' in listing.output

    # refused before anything is imported: unknown name, corrupt file, an archive of other nodes
    assert 'no shipped potential' in _invoke('import', 'other', '--catalogue', folder).output
    broken = tmp_path / 'broken'
    shutil.copytree(folder, broken)
    (broken / entry['archive']).write_bytes(b'not an archive')
    assert 'is not a readable AiiDA archive' in _invoke('import', 'tiny', '--catalogue', broken).output
    foreign = tmp_path / 'foreign'
    other = orm.Dict({'not': 'a potential'}).store()
    ship(foreign, 'tiny', 'something else', {'training_set': other})
    catalogue = (foreign / 'catalogue.json').read_text().replace(other.uuid, outputs.training_set.uuid)
    (foreign / 'catalogue.json').write_text(catalogue)
    assert 'lacks the nodes' in _invoke('import', 'tiny', '--catalogue', foreign).output

    with aiida_config_factory(tmp_path / 'fresh') as config, aiida_profile_factory(config):
        from aiida_lps.setup.profile import ensure_codes, ensure_computer

        computer, _ = ensure_computer(work_dir=str(tmp_path / 'work'))
        ensure_codes(computer)
        result = _invoke('import', 'tiny', '--catalogue', folder)
        assert result.exit_code == 0, result.output
        assert 'GAP refitted in' in result.output
        count = orm.QueryBuilder().append(orm.Node).count()
        again = _invoke('import', 'tiny', '--catalogue', folder)
        assert again.exit_code == 0 and 'GAP already refitted' in again.output
        assert orm.QueryBuilder().append(orm.Node).count() == count
        group = orm.load_group('aiida-lps/potentials/tiny')
        roles = {node.base.extras.get('shipped_role'): node for node in group.nodes}
        assert set(roles) == {'training_set', 'validation_set', 'reference_energies', 'snap', 'gap'}
        # the imported labels trace back to the pw.x calculations that computed them
        assert {source.calculation.uuid for source in query.training_set_lineage(roles['training_set']).sources} \
            == pw_uuids
        probe = roles['training_set'].to_atoms()[0]
        probe.calc = roles['snap'].get_calculator()
        reference = probe.copy()
        reference.calc = snap_energy
        assert probe.get_potential_energy() == pytest.approx(reference.get_potential_energy(), abs=1e-9)
        fitted = roles['gap'].creator
        assert fitted.inputs.reference_energies.uuid == roles['reference_energies'].uuid
