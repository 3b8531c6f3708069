"""IsolatedAtomEnergiesWorkChain with the real pw.x: spin-polarised free atoms give per-element reference energies."""
import pytest
from aiida.engine import run_get_node
from li2s_cells import FIXED_OCCUPATIONS, li2s

from aiida_lps.workflows.isolated_atoms import UNPAIRED_ELECTRONS, IsolatedAtomEnergiesWorkChain, isolated_atom
from aiida_lps.workflows.labelling import DftLabellingWorkChain

SMALL_BOX_A = (7.0, 7.5, 8.0)  # Angstrom: enough for a test, not for production (the default is 12-13 A)


@pytest.mark.requires_codes
def test_isolated_atoms_give_the_atomisation_energy_of_li2s(aiida_profile, lps_code, pseudo_family):
    """Each atom carries its Hund's-rule moment, and Li2S's atomisation energy comes out near experiment."""
    builder = IsolatedAtomEnergiesWorkChain.get_builder_from_protocol(
        lps_code('pw'), ('Li', 'S'), protocol='fast', box_A=SMALL_BOX_A)
    results, node = run_get_node(builder)
    assert node.is_finished_ok, node.exit_message
    energies = results['reference_energies'].get_dict()
    assert set(energies) == {'Li', 'S'}
    for element in energies:
        pw = node.base.links.get_outgoing(link_label_filter=f'pw_{element}').one().node
        parameters = pw.outputs.output_parameters.get_dict()
        assert parameters['energy'] == pytest.approx(energies[element])
        assert parameters['total_magnetization'] == pytest.approx(UNPAIRED_ELECTRONS[element], abs=0.01)
        assert parameters['number_of_k_points'] == 1

    crystal = DftLabellingWorkChain.get_builder_from_protocol(
        lps_code('pw'), {'li2s': li2s()}, protocol='fast', overrides={**FIXED_OCCUPATIONS, 'kpoints_distance': 0.3})
    labelled, _ = run_get_node(crystal)
    energy = labelled['training_set'].get_energies()[0]
    atomisation_eV = 2 * energies['Li'] + energies['S'] - energy
    # experiment: 10.7 eV per Li2S (formation enthalpy 4.6 eV, cohesive energies Li 1.63 and S 2.85 eV); PBE at
    # 30 Ry (crystal with a k-mesh, atoms in a 7 A box) is within about 1 eV; a spin-unpolarised S atom would be
    # about 1 eV higher in energy and give too large a value.
    assert 9.5 < atomisation_eV < 12.0


def test_isolated_atom_box_holds_one_centred_atom(aiida_profile):
    structure = isolated_atom('P', SMALL_BOX_A)
    assert [site.kind_name for site in structure.sites] == ['P']
    assert structure.sites[0].position == pytest.approx([3.5, 3.75, 4.0])
    assert structure.cell == [[7.0, 0, 0], [0, 7.5, 0], [0, 0, 8.0]]


@pytest.mark.parametrize(('make_structure', 'message'), [
    (li2s, r'`bad` has 3 sites: an isolated-atom reference has exactly one'),
    (lambda: isolated_atom('Na'), r'`bad`: no ground-state magnetisation known for Na'),
])
def test_bad_atoms_are_refused_before_dft(aiida_profile, lps_code, pseudo_family, make_structure, message):
    builder = IsolatedAtomEnergiesWorkChain.get_builder_from_protocol(lps_code('pw'), ('Li',), protocol='fast')
    with pytest.raises(ValueError, match=message):  # the builder validates on assignment, before anything runs
        builder.structures = {'bad': make_structure()}
