"""GlassSamplingWorkChain with the tiny Morse-trained GAP: plumbing, provenance, consistency and refusals at launch.

The tiny GAP is not a physical LPS model, so the tests check that every output is what the core functions give on
the work chain's own nodes (composition, density, RDFs, motif verdict), not physical values.
"""
import io

import numpy as np
import pytest
from aiida import orm
from aiida.engine import run_get_node
from ase import Atoms
from ase.formula import Formula

from aiida_lps.analysis.motifs import assign_motifs_by_connectivity, motif_fractions
from aiida_lps.analysis.rdf import average_partial_rdfs, partial_rdfs
from aiida_lps.calculations.functions.sample_glass_with_potential import shortest_distances
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.sampling.glass import density_g_cm3
from aiida_lps.structures.building_blocks import ORTHO
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.glass import (
    GlassSamplingWorkChain,
    crystals_of_composition,
    formula_units_for_atoms,
    impossible_distances,
    requested_phosphorus_fractions,
    unrecovered_motifs,
)



def gap_header(*atomic_number_pairs) -> io.BytesIO:
    """A GAP xml header with one 2-body descriptor per pair: enough for GapPotentialData, never evaluated."""
    descriptors = ''.join(f'<descriptor>distance_2b Z1={z1} Z2={z2} cutoff=5.0</descriptor>'
                          for z1, z2 in atomic_number_pairs)
    return io.BytesIO(f'<GAP_params label="GAP_header_only" gap_version="1">{descriptors}</GAP_params>'.encode())


@pytest.fixture
def tiny_potential(aiida_profile, tiny_gap_xml):
    return GapPotentialData(tiny_gap_xml).store()


def test_recipe_helpers_known_answers():
    assert crystals_of_composition('Li3PS4') == ['alpha-Li3PS4', 'beta-Li3PS4', 'gamma-Li3PS4']
    assert crystals_of_composition(0.75) == ['alpha-Li3PS4', 'beta-Li3PS4', 'gamma-Li3PS4']
    assert crystals_of_composition(0.6) == []  # Li6P4S13: no reference crystal
    assert formula_units_for_atoms('Li3PS4', 100) == 12  # 96 atoms
    assert formula_units_for_atoms('Li7P3S11', 100) == 5  # 105 atoms: 5 PS4 + 5 P2S7
    # PS4:P2S6 1:1 needs 3 P per ratio unit: 11 formula units (88 atoms) cannot be split, 12 can
    assert formula_units_for_atoms('Li3PS4', 90, {'PS4^3-': 1, 'P2S6^4-': 1}) == 12
    # Li7P3S11 1:1 PS4:P2S7 is one third PS4 and two thirds P2S7 by P
    assert requested_phosphorus_fractions({'PS4^3-': 2, 'P2S7^4-': 2}) == pytest.approx(
        {'PS4^3-': 1 / 3, 'P2S7^4-': 2 / 3})
    assert unrecovered_motifs({ORTHO: 1.0}, motif_fractions([ORTHO] * 4)) == {}
    beta = get_crystal('beta-Li3PS4')
    assert shortest_distances(beta)['P-S'] == pytest.approx(2.0143, abs=1e-4) and 'P-P' not in shortest_distances(beta)
    assert impossible_distances(shortest_distances(beta)) == {}
    squeezed = Atoms('SPS', positions=[[0, 0, 0], [0, 0, 1.5], [0, 0, 3.5]], cell=[10, 10, 10], pbc=True)
    assert shortest_distances(squeezed) == pytest.approx({'P-S': 1.5, 'S-S': 3.5})
    assert impossible_distances(shortest_distances(squeezed)) == {'P-S': (pytest.approx(1.5), 1.85)}
    assert unrecovered_motifs({ORTHO: 1.0}, motif_fractions([ORTHO, ORTHO, 'P2S7^4-', 'P2S7^4-'])) == {
        ORTHO: (1.0, 0.5), 'P2S7^4-': (0.0, 0.5)}


@pytest.mark.requires_codes
def test_ensemble_of_two_small_glasses(tiny_potential):
    builder = GlassSamplingWorkChain.get_builder_from_protocol(tiny_potential, 'Li3PS4', protocol='fast',
                                                               overrides={'seed': 5})
    assert builder.n_formula_units.value == 2 and builder.ensemble_size.value == 2
    builder.analysis.reference_crystals = orm.List(['beta-Li3PS4'])  # crystals_of_composition is tested above
    results, node = run_get_node(builder)
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))

    glasses = results['glasses']
    assert sorted(glasses) == ['glass_00', 'glass_01']
    for index, (label, glass) in enumerate(sorted(glasses.items())):
        atoms = glass.get_ase()
        info = glass.base.attributes.get('glass_sampling')
        assert Formula(atoms.get_chemical_formula()).count() == {'Li': 6, 'P': 2, 'S': 8}
        assert info['seed'] == 5 + index and info['motif_counts'] == {ORTHO: 2}
        assert density_g_cm3(atoms) == pytest.approx(1.8, rel=1e-9) == info['final_density_g_cm3']
        # one relaxation after the Li placement, then one per compression step
        assert info['relaxation']['n_relaxations'] == info['n_compression_steps'] + 1
        assert info['relaxation']['max_steps'] == 5
        assert glass.creator.inputs.potential.uuid == tiny_potential.uuid
        assert f'{label} (seed {5 + index}): StructureData<{glass.pk}>' in reports

    # the ensemble RDF is the mean of partial_rdfs of the two glasses; the crystal's is partial_rdfs of the crystal
    direct = average_partial_rdfs([partial_rdfs(glass.get_ase(), 6.0, 60) for _, glass in sorted(glasses.items())])
    rdf = results['rdf']
    np.testing.assert_allclose(rdf.get_array('bin_edges'), direct.bin_edges)
    for (first, second), values in direct.g.items():
        np.testing.assert_allclose(rdf.get_array(f'g_{first}_{second}'), values, rtol=1e-12, atol=1e-12)
    assert sorted(results['crystal_rdfs']) == ['beta_Li3PS4']
    beta = partial_rdfs(get_crystal('beta-Li3PS4'), 6.0, 60)
    np.testing.assert_allclose(results['crystal_rdfs']['beta_Li3PS4'].get_array('g_P_S'), beta.pair('P', 'S'),
                               atol=1e-12)

    # the tiny GAP keeps every pair above the impossible distances for these seeds, so the whole chain ran
    for glass in glasses.values():
        assert impossible_distances(shortest_distances(glass.get_ase())) == {}
    # motif fractions are those of the core assignment, and the exit status follows the connectivity verdict
    fractions = results['motif_fractions'].get_dict()
    found = {label: motif_fractions(assign_motifs_by_connectivity(glass.get_ase())) for label, glass in glasses.items()}
    for label in glasses:
        assert fractions['structures'][label]['by_connectivity'] == found[label]
    unrecovered = [label for label in sorted(glasses) if found[label][ORTHO] != 1.0]
    if unrecovered:
        assert node.exit_status == 410 and ', '.join(unrecovered) in node.exit_message
    else:
        assert node.is_finished_ok, node.exit_message
        assert 'all 2 glasses keep the requested motifs' in reports

    for key in ('rdf_plot', 'motif_plot'):
        with results[key].open(mode='rb') as handle:
            assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


@pytest.mark.requires_codes
def test_impossible_distances_end_the_chain_with_411_and_all_outputs(tiny_potential, monkeypatch):
    import aiida_lps.workflows.glass as glass_workflow

    monkeypatch.setitem(glass_workflow.IMPOSSIBLE_BELOW_A, 'P-S', 10.0)  # every P-S bond (~2 A) is now "too close"
    builder = GlassSamplingWorkChain.get_builder_from_protocol(tiny_potential, 'Li3PS4', protocol='fast',
                                                               overrides={'ensemble_size': 1})
    builder.analysis.reference_crystals = orm.List([])
    results, node = run_get_node(builder)
    assert node.exit_status == 411
    assert node.exit_message.startswith('1 of 1 glasses (glass_00) have atoms closer than physically possible')
    assert {'glasses', 'rdf', 'motif_fractions', 'rdf_plot', 'motif_plot'} <= set(results)
    reports = '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))
    assert 'glass_00: physically impossible distances P-S ' in reports and '(< 10.0 A)' in reports


@pytest.mark.parametrize(('composition', 'n_formula_units', 'motif_ratio', 'message'), [
    ('Li7P3S11', 2, {'PS4^3-': 1}, 'need 24 S but the composition has only 22'),
    ('Li4P2S6', 1, {'P2S7^4-': 1}, 'need 7 S but the composition has only 6'),
    ('Li5PS4', 1, {'PS4^3-': 1}, 'not charge neutral'),
    (0.7, 1, None, 'not an integer; use a multiple of 5 formula units'),
])
def test_impossible_compositions_are_refused_at_launch(aiida_profile, tiny_gap_xml, composition, n_formula_units,
                                                       motif_ratio, message):
    potential = GapPotentialData(tiny_gap_xml).store()
    builder = GlassSamplingWorkChain.get_builder_from_protocol(potential, composition, protocol='fast',
                                                               n_formula_units=n_formula_units, motif_ratio=motif_ratio)
    with pytest.raises(ValueError, match=message):
        run_get_node(builder)


def test_potential_without_a_species_and_bad_seeds_are_refused(aiida_profile):
    potential = GapPotentialData(gap_header((15, 16))).store()
    builder = GlassSamplingWorkChain.get_builder_from_protocol(potential, 'Li3PS4', protocol='fast')
    with pytest.raises(ValueError, match=r"covers \['P', 'S'\] but a glass of Li3PS4 also contains \['Li'\]"):
        run_get_node(builder)

    builder.potential = GapPotentialData(gap_header((3, 16), (15, 16))).store()
    builder.seeds = orm.List([1, 2, 3])
    with pytest.raises(ValueError, match='3 seeds for an ensemble of 2 glasses'):
        run_get_node(builder)
