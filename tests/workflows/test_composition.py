"""CompositionSweepWorkChain with the real pw.x at toy settings and the tiny Morse-trained GAP.

The GAP is not an LPS model and the DFT is far from converged (Gamma point, 20/160 Ry, 3-atom Li2S), so the tests
check the bookkeeping against the workflow's own nodes: compositions per step, the parent chain, formation
energies recomputed by hand from the pw.x energies, skipped failures. Known-answer tests of the GA, E_f and the hull
are in tests/core.
"""
import numpy as np
import pytest
from aiida import orm
from aiida.engine import calcfunction, run_get_node
from aiida.manage.caching import enable_caching
from ase import Atoms
from ase.build import bulk

import aiida_lps.workflows.composition as composition_module
from aiida_lps.analysis.fingerprints import similarity_to_references
from aiida_lps.data.gap_potential import GapPotentialData
from aiida_lps.structures.crystals import get_crystal
from aiida_lps.workflows.composition import FINGERPRINT_REFERENCES, CompositionSweepWorkChain, relax_parameters

#: A few seconds of CPU per pw.x run: 20/160 Ry, forces below 2 eV/A (a few ionic steps), the GA on 4 unrelaxed
#: candidates (0 GAP steps: the Morse-trained GAP would stretch the P-S bonds) for 1 generation, 2 of them to DFT.
TINY = {
    'ga': {'population_size': 4, 'n_generations': 1, 'n_best': 2, 'relax_max_steps': 0},
    'dft': {'force_threshold_eV_per_A': 2.0, 'max_ionic_steps': 10, 'max_iterations': 1, 'min_distance_A': 0.0},
    'pw_base': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': 20.0, 'ecutrho': 160.0}}}},
}
PW_CACHING = 'aiida.calculations:quantumespresso.pw'


def p4s10_in_a_box(box_A: float = 8.0) -> Atoms:
    """One adamantane-like P4S10 molecule (Td; P-S bridge 2.09 A, P=S 1.91 A, P...P 3.40 A) in a cubic box:
    2 P2S5 formula units."""
    corners = np.array([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)])
    half_edge = 3.40 / (2 * np.sqrt(2))                                    # P at +-half_edge per axis
    bridge = half_edge + np.sqrt(2.09**2 - 2 * half_edge**2)               # bridging S on the axes
    phosphorus = half_edge * corners
    terminal = phosphorus + 1.91 * corners / np.sqrt(3)
    bridging = bridge * np.concatenate([np.eye(3), -np.eye(3)])
    positions = np.concatenate([phosphorus, terminal, bridging]) + box_A / 2
    return Atoms('P4S10', positions=positions, cell=[box_A] * 3, pbc=True)


def tiny_references() -> dict:
    """3-atom Li2S (antifluorite primitive cell) and a P4S10 molecule in a box as the end members."""
    return {'Li2S': orm.StructureData(ase=bulk('SLi2', 'fluorite', a=5.71)),
            'P2S5': orm.StructureData(ase=p4s10_in_a_box())}


def tiny_builder(code, potential, n_steps, **overrides):
    builder = CompositionSweepWorkChain.get_builder_from_protocol(
        code, orm.StructureData(ase=get_crystal('gamma-Li3PS4')), potential, n_steps, protocol='fast',
        overrides={**TINY, **overrides})
    builder.references = tiny_references()
    return builder


@calcfunction
def overlap_two_atoms(structure):
    """The structure with atom 1 moved onto atom 0, which pw.x refuses at once (``check_atoms``: atoms overlap)."""
    atoms = structure.get_ase()
    atoms.positions[1] = atoms.positions[0]
    return orm.StructureData(ase=atoms)


def break_candidates(monkeypatch, names):
    """Let the work chain's GA replace its candidates ``names`` by copies that pw.x cannot run."""
    search = composition_module.genetic_removal_search

    def search_with_broken_candidates(**kwargs):
        found = search(**kwargs)
        for name in names:
            found[name] = overlap_two_atoms(found[name])
        return found

    monkeypatch.setattr(composition_module, 'genetic_removal_search', search_with_broken_candidates)


def formation_energy_by_hand(structure, energy, li2s, p2s5):
    """E_f (meV/atom) of corrected eq. 1 from counts, with the reference energies per formula unit (eV)."""
    symbols = structure.get_ase().get_chemical_symbols()
    n_li, n_p = symbols.count('Li'), symbols.count('P')
    x, n_formula_units = n_li / (n_li + n_p), (n_li + n_p) / 2
    return 1000 * (energy / n_formula_units - x * li2s - (1 - x) * p2s5) / (7 - 4 * x)


def reports(node) -> str:
    return '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))


@pytest.mark.requires_codes
def test_two_steps_skip_a_failed_candidate_and_give_consistent_energies(
        aiida_profile, lps_code, pseudo_family, tiny_gap_xml, monkeypatch):
    break_candidates(monkeypatch, ['candidate_01'])
    potential = GapPotentialData(tiny_gap_xml).store()
    with enable_caching(identifier=PW_CACHING):
        results, node = run_get_node(tiny_builder(lps_code('pw'), potential, n_steps=2))
    assert node.is_finished_ok, node.exit_message

    # the broken candidate of each step failed in pw.x, was reported and skipped; the other one became the parent
    structures = results['relaxed_structures']
    assert set(structures) == {'parent', 'step1_candidate_00', 'step2_candidate_00'}
    report = reports(node)
    for step in (1, 2):
        assert f'skipped `step{step}_candidate_01`: PwBaseWorkChain<' in report
    assert [structures[label].get_formula() for label in ('parent', 'step1_candidate_00', 'step2_candidate_00')] == \
        ['Li6P2S8', 'Li4P2S7', 'Li2P2S6']
    ga_calls = {link.link_label: link.node for link in node.base.links.get_outgoing().all()
                if link.link_label.startswith('ga_step')}
    assert ga_calls['ga_step1'].inputs.parent.uuid == structures['parent'].uuid
    assert ga_calls['ga_step2'].inputs.parent.uuid == structures['step1_candidate_00'].uuid
    assert ga_calls['ga_step2'].inputs.seed.value == ga_calls['ga_step1'].inputs.seed.value + 1
    assert all(results['ga_searches'][f'step{step}']['n_candidates'] == 2 for step in (1, 2))

    # every relaxation ran at the same settings
    relaxations = {link.link_label.removeprefix('relax_'): link.node for link in node.base.links.get_outgoing().all()
                   if link.link_label.startswith('relax_')}
    assert len(relaxations) == 7  # Li2S, P2S5, parent, 2 candidates x 2 steps
    for child in relaxations.values():
        parameters = child.inputs.pw.parameters.get_dict()
        assert parameters['CONTROL']['calculation'] == 'relax'
        assert (parameters['SYSTEM']['ecutwfc'], parameters['SYSTEM']['ecutrho']) == (20.0, 160.0)
        assert parameters['CONTROL']['etot_conv_thr'] == pytest.approx(1e-4 * len(child.inputs.pw.structure.sites))

    # E_f from the pw.x energies by hand; E_above_hull is never negative and zero exactly on the hull
    energy = {label: child.outputs.output_parameters['energy'] for label, child in relaxations.items()
              if child.is_finished_ok}
    li2s_per_fu = energy['Li2S'] / 1            # Li2S primitive cell: 1 formula unit
    p2s5_per_fu = energy['P2S5'] / 2            # P4S10: 2 formula units
    table = results['results'].get_dict()
    assert table['references'] == pytest.approx({'Li2S_eV_per_formula_unit': li2s_per_fu,
                                                 'P2S5_eV_per_formula_unit': p2s5_per_fu})
    assert set(table['structures']) == set(structures)
    for label, row in table['structures'].items():
        assert row['energy_eV'] == energy[label]
        assert row['formation_energy_meV_per_atom'] == pytest.approx(
            formation_energy_by_hand(structures[label], energy[label], li2s_per_fu, p2s5_per_fu))
        assert row['e_above_hull_meV_per_atom'] >= -1e-6
        assert row['on_hull'] == (row['e_above_hull_meV_per_atom'] <= 1e-3)
        assert (row['kind'], row['lowest_in_step']) == (('crystal', True) if label == 'parent' else ('ga', True))
    assert [table['structures'][label]['x'] for label in sorted(table['structures'])] == \
        pytest.approx([0.75, 2 / 3, 0.5])
    assert results['hull_plot'].get_content(mode='rb')[:8] == b'\x89PNG\r\n\x1a\n'
    assert set(results['relaxed_references']) == {'Li2S', 'P2S5'}

    # the Li-environment similarities are those of the core on the relaxed structures and the library crystals
    similarity = results['li_similarity'].get_dict()
    labels = sorted(structures)
    expected = similarity_to_references([structures[label].get_ase() for label in labels],
                                        [get_crystal(name) for name in FINGERPRINT_REFERENCES])
    for label, row in zip(labels, expected):
        entry = similarity['structures'][label]
        np.testing.assert_allclose([entry['similarity'][name] for name in FINGERPRINT_REFERENCES], row, atol=1e-9)
        best = int(np.argmax(row))
        assert entry['most_similar'] == (FINGERPRINT_REFERENCES[best] if row[best] >= 0.4 else None)
    assert results['similarity_plot'].get_content(mode='rb')[:8] == b'\x89PNG\r\n\x1a\n'


@pytest.mark.requires_codes
def test_candidates_with_overlapping_atoms_are_skipped_before_dft_and_none_left_is_312(
        aiida_profile, lps_code, pseudo_family, tiny_gap_xml, monkeypatch):
    break_candidates(monkeypatch, ['candidate_00', 'candidate_01'])
    potential = GapPotentialData.get_or_create(tiny_gap_xml).store()
    builder = tiny_builder(lps_code('pw'), potential, n_steps=1)
    builder.dft.min_distance_A = orm.Float(0.5)
    with enable_caching(identifier=PW_CACHING):  # reuses the references' and parent's pw.x runs of the test above
        results, node = run_get_node(builder)
    assert node.exit_status == CompositionSweepWorkChain.exit_codes.ERROR_ALL_CANDIDATE_RELAXATIONS_FAILED.status
    assert node.exit_message == ('no candidate of step 1 was relaxed with DFT: step1_candidate_00: sites 0 and 1 '
                                 '0.000 Angstrom apart after the GAP relaxation; step1_candidate_01: sites 0 and 1 '
                                 '0.000 Angstrom apart after the GAP relaxation')
    assert not [link for link in node.base.links.get_outgoing().all() if 'candidate' in link.link_label]
    assert set(results['relaxed_structures']) == {'parent'} and 'results' not in results


def test_relax_parameters_convert_units_and_scale_per_atom():
    parameters = relax_parameters(
        {'CONTROL': {'tprnfor': True}, 'SYSTEM': {'ecutwfc': 50.0}}, 16, calculation='vc-relax',
        force_threshold_eV_per_A=0.0257110, etot_conv_thr_per_atom=1e-5, conv_thr_per_atom=1e-9,
        max_ionic_steps=7, cutoffs_Ry=None)
    assert parameters['CONTROL']['forc_conv_thr'] == pytest.approx(1e-3, rel=1e-4)  # 1 Ry/bohr = 25.711 eV/A
    assert parameters['CONTROL']['etot_conv_thr'] == pytest.approx(1.6e-4)
    assert parameters['ELECTRONS']['conv_thr'] == pytest.approx(1.6e-8)
    assert (parameters['CONTROL']['calculation'], parameters['CONTROL']['nstep']) == ('vc-relax', 7)
    assert parameters['CONTROL']['tprnfor'] and parameters['SYSTEM'] == {'ecutwfc': 50.0}
    assert relax_parameters({}, 3, calculation='relax', force_threshold_eV_per_A=0.1, etot_conv_thr_per_atom=1e-4,
                            conv_thr_per_atom=1e-8, max_ionic_steps=5,
                            cutoffs_Ry=(30.0, 240.0))['SYSTEM'] == {'ecutwfc': 30.0, 'ecutrho': 240.0}


def test_protocols_follow_the_article(aiida_profile, lps_code, pseudo_family, tiny_gap_xml):
    potential = GapPotentialData.get_or_create(tiny_gap_xml).store()
    parent = orm.StructureData(ase=get_crystal('gamma-Li3PS4'))
    builder = CompositionSweepWorkChain.get_builder_from_protocol(lps_code('pw'), parent, potential, 3)
    assert builder.ga.settings.get_dict() == {'population_size': 32, 'mutation_rate': 0.1, 'n_generations': 50,
                                              'max_stagnant_generations': 10, 'n_best': 10}
    assert builder.dft.calculation.value == 'vc-relax'
    assert builder.dft.force_threshold_eV_per_A.value == 0.02
    assert 'ecutwfc' not in builder.pw_base.pw.parameters['SYSTEM']  # set by the work chain for Li, P and S
    fast = CompositionSweepWorkChain.get_builder_from_protocol(lps_code('pw'), parent, potential, 2, protocol='fast')
    assert fast.dft.calculation.value == 'relax' and fast.pw_base.pw.settings['gamma_only']
    assert fast.pw_base.kpoints_distance.value == 100.0


@pytest.mark.parametrize('change, message', [
    ({'structure': Atoms('Li4P2S6', cell=[9, 9, 9], pbc=True, positions=np.arange(36).reshape(12, 3) * 0.7)},
     r'cannot be swept: .* off the \(Li2S\)_x\(P2S5\)_\(1-x\) line'),
    ({'n_steps': 4}, r'4 steps removing 1 Li2S each need 8 Li but the parent has 6: use a larger supercell'),
    ({'unit': 'Li3PS4'}, r"unknown unit 'Li3PS4'"),
    ({'ga_settings': {'population_size': 1}}, r'invalid GA settings .*population_size must be >= 2'),
    ({'ga_settings': {'population': 8}}, r"invalid GA settings .*unexpected keyword argument 'population'"),
    ({'calculation': 'scf'}, r"dft.calculation must be one of \('relax', 'vc-relax'\), got 'scf'"),
    ({'reference': 'swap'}, r'the P2S5 reference structure<\d+> has the formula Li2S, not that of P2S5'),
    ({'fingerprints': ['gamma-Li3PS4', 'delta-Li3PS4']}, r"unknown crystals \['delta-Li3PS4'\]"),
])
def test_bad_inputs_are_refused_before_any_dft(aiida_profile, lps_code, pseudo_family, tiny_gap_xml, change, message):
    potential = GapPotentialData.get_or_create(tiny_gap_xml).store()
    builder = tiny_builder(lps_code('pw'), potential, n_steps=change.get('n_steps', 1))
    if 'structure' in change:
        builder.structure = orm.StructureData(ase=change['structure'])
    if 'unit' in change:
        builder.unit = orm.Str(change['unit'])
    if 'ga_settings' in change:
        builder.ga.settings = orm.Dict(change['ga_settings'])
    if 'calculation' in change:
        builder.dft.calculation = orm.Str(change['calculation'])
    if 'fingerprints' in change:
        builder.fingerprint_references = orm.List(change['fingerprints'])
    if 'reference' in change:
        builder.references = {'Li2S': tiny_references()['Li2S'], 'P2S5': tiny_references()['Li2S'].store()}
    with pytest.raises(ValueError, match=message):
        run_get_node(builder)
