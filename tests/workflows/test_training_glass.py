"""The glass explorer of IterativeTrainingWorkChain: glasses sampled with the current GAP (thesis 5.3), their MD."""
import pytest
from aiida import orm
from aiida.common.links import LinkType
from aiida.engine import run_get_node
from li2s_cells import li2s

from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.workflows.glass import GlassSamplingWorkChain
from aiida_lps.workflows.explorers import GlassExplorer, derived_seed
from aiida_lps.workflows.protocols import recursive_merge
from aiida_lps.workflows.training import IterativeTrainingWorkChain

#: One Li3PS4 glass of 8 atoms (one formula unit) per generation with the `fast` glass protocol (5 BFGS steps).
GLASS = {'type': 'glass', 'composition': 'Li3PS4', 'n_atoms': 8, 'count': 1, 'protocol': 'fast'}
GLASS_STAGE = {'name': 'glass', 'explorers': [GLASS], 'selector': {'method': 'all'}, 'max_generations': 1}
#: 0.02 ps equilibration, 0.06 ps production dumped every 0.02 ps at 600 K.
TINY_MD = {'temperatures_K': [600.0], 'timestep_fs': 2.0, 'damping_fs': 100.0, 'equilibration_ps': 0.02,
           'production_ps': 0.06, 'snapshot_spacing_ps': 0.02}
GLASS_MD_STAGE = {'name': 'glass_md', 'explorers': [{**GLASS, 'md': TINY_MD}],
                  'selector': {'method': 'uncertainty', 'count': 1}, 'max_generations': 1}
NOT_CONVERGED = IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_NOT_CONVERGED.status


def _called(node, link_label: str):
    return node.base.links.get_outgoing(link_label_filter=link_label).one().node


@pytest.mark.requires_codes
def test_glass_stages_label_glasses_sampled_with_the_current_gap_and_their_md_snapshots(
        aiida_profile, lps_code, pseudo_family, morse_labelled_frames):
    """Two runs from the same training set (Morse-labelled Li4PS3 cells: a GAP with smooth repulsion): a `glass`
    generation labels the glass sampled with the first GAP; a `glass_md` generation offers the MD snapshots of its
    glass, not the glass, as candidates."""
    training_set = TrainingSetData.from_atoms(morse_labelled_frames(12)).store()

    def run_stage(stage):
        builder = IterativeTrainingWorkChain.get_builder_from_protocol(
            lps_code('pw'), lps_code('gap_fit'), {}, lammps_code=lps_code('lmp'), protocol='fast',
            overrides={'stages': [stage]}, training_set=training_set,
        )
        results, node = run_get_node(builder)
        assert node.exit_status == NOT_CONVERGED, node.exit_message  # one generation: max_generations
        return results, node, results['rmse_table']['generations'][1], results['generations']['gen_0']['potential']

    # glass: the labelled candidate is an 8-atom Li3PS4 glass sampled with the starting GAP, the fast glass protocol's
    # relaxations and a seed derived from the run's seed, the generation and the glass
    results, node, row, potential = run_stage(GLASS_STAGE)
    assert (row['candidates_by_explorer'], row['exploration_failures'], row['n_labelled']) == ({'glass': 1}, {}, 1)
    labelled = results['training_set'].to_atoms()[-1]
    assert labelled.get_chemical_formula(empirical=True) == 'Li3PS4' and len(labelled) == 8
    assert results['training_set'].get_tags()[-1]['stage'] == 'glass'
    selection = _called(node, 'select_gen_1')  # the labelled copy is created by the selection from the candidate
    assert _called(node, 'label_gen_1').inputs.structures.glass_00.creator.uuid == selection.uuid
    glass = selection.base.links.get_incoming(link_label_filter='glass_00').one().node
    sampling = glass.creator
    assert sampling.process_label == 'sample_glass_with_potential'
    assert sampling.inputs.potential.uuid == potential.uuid
    assert sampling.inputs.composition.value == 'Li3PS4' and sampling.inputs.n_formula_units.value == 1
    assert sampling.inputs.seed.value == derived_seed(derived_seed(1, 1, 0), 0)
    fast_glass = GlassSamplingWorkChain.get_protocol_inputs('fast')
    assert sampling.inputs.relax_max_steps.value == fast_glass['relax_max_steps']
    assert sampling.inputs.target_density_g_cm3.value == fast_glass['target_density_g_cm3']
    assert glass.base.attributes.get('glass_sampling')['motif_counts'] == {'PS4^3-': 1}

    # glass_md: the candidates are the snapshots of the MD of the sampled glass with the starting GAP
    results, node, row, potential = run_stage(GLASS_MD_STAGE)
    snapshots = _called(node, 'snapshots_glass_00_600K')
    md_run = snapshots.inputs.trajectory.creator
    assert md_run.process_label == 'LammpsMdCalculation' and md_run.inputs.potential.uuid == potential.uuid
    assert md_run.inputs.structure.creator.process_label == 'sample_glass_with_potential'
    created = snapshots.base.links.get_outgoing(link_type=LinkType.CREATE).all()
    assert len(created) >= 3
    assert row['candidates_by_explorer'] == {'glass': len(created)} and row['exploration_failures'] == {}
    selection = _called(node, 'select_gen_1')
    candidates = {link.link_label: link.node.uuid for link in selection.base.links.get_incoming().all()
                  if link.link_label.startswith('glass_')}
    assert set(candidates) | set(row['too_close']) == {f'glass_00_600K_{link.link_label}' for link in created}
    assert set(candidates.values()) <= {link.node.uuid for link in created}
    assert selection.inputs.parameters['method'] == 'uncertainty'


@pytest.mark.requires_codes
def test_a_failed_glass_sampling_is_recorded_and_the_stage_goes_on(aiida_profile, lps_code, pseudo_family,
                                                                    morse_labelled_frames, tiny_gap_xml, monkeypatch):
    """The Li placement fails (as with too few Voronoi vertices): an exploration failure, not a failed run. The run
    continues from a GAP fitted to the Morse frames, so nothing but the sampling runs."""
    import aiida_lps.calculations.functions.sample_glass_with_potential as sampling_module
    from aiida_lps.data.gap_potential import GapPotentialData

    def no_voronoi_vertices(*args, **kwargs):
        raise RuntimeError('only 3 Voronoi vertices for 6 Li: lower the initial density')

    monkeypatch.setattr(sampling_module, 'sample_glass', no_voronoi_vertices)
    builder = IterativeTrainingWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), {}, protocol='fast', overrides={'stages': [GLASS_STAGE]},
        training_set=TrainingSetData.from_atoms(morse_labelled_frames(12)).store(),
    )
    builder.potential = GapPotentialData(tiny_gap_xml).store()
    results, node = run_get_node(builder)
    assert node.exit_status == IterativeTrainingWorkChain.exit_codes.WARNING_TRAINING_STALLED.status
    sampling = _called(node, 'sample_glass_00')
    assert sampling.is_excepted
    row = results['rmse_table']['generations'][1]
    assert row['exploration_failures'] == {'sample_glass_00': f'sample_glass_with_potential<{sampling.pk}> seed '
                                           f'{sampling.inputs.seed.value}: RuntimeError: only 3 Voronoi vertices for '
                                           '6 Li: lower the initial density'}
    assert (row['n_candidates'], row['n_labelled']) == (0, 0)


def test_bad_glass_explorers_are_refused_before_anything_runs(aiida_profile, lps_code, pseudo_family):
    def run(*explorers):
        """Launch a run without structures whose stage has ``explorers`` (settings over GLASS, or with their type)."""
        stage = {**GLASS_STAGE, 'explorers': [explorer if 'type' in explorer else {**GLASS, **explorer}
                                              for explorer in explorers]}
        return run_get_node(IterativeTrainingWorkChain.get_builder_from_protocol(
            lps_code('pw'), lps_code('gap_fit'), {}, protocol='fast', overrides={'stages': [stage]},
            initial_structures={'li2s_a': li2s(1)},
        ))

    with pytest.raises(ValueError, match=r"stage glass: explorer glass: composition 'Li3PO4' with the motif ratio "
                                         r"ideal: .*contains \['O'\].*give a glass-forming formula such as Li3PS4"):
        run({'composition': 'Li3PO4'})
    with pytest.raises(ValueError, match=r'n_atoms 6 is fewer than the 8 atoms of the smallest Li3PS4 glass \(1 '
                                         r'formula unit\(s\)\): give n_atoms >= 8'):
        run({'n_atoms': 6})
    # PS4^3-:P2S7^4- 1:1 needs 3 P: the smallest Li7P3S11 glass has 21 atoms
    with pytest.raises(ValueError, match=r'fewer than the 21 atoms of the smallest Li7P3S11 glass .* >= 21'):
        run({'composition': 'Li7P3S11', 'n_atoms': 16})
    with pytest.raises(ValueError, match=r'explorer glass: count \(glasses per generation\) must be a positive '
                                         r'integer, got 0'):
        run({'count': 0})
    with pytest.raises(ValueError, match=r"explorer glass: give \['composition'\]"):
        run({'type': 'glass', 'n_atoms': 8, 'count': 1})
    with pytest.raises(ValueError, match=r"unknown sampling settings \['relax_steps'\]; known: \["):
        run({'sampling': {'relax_steps': 3}})
    with pytest.raises(ValueError, match=r"explorer glass: sampling: scale_factor must lie in \(0, 1\), got 1.5"):
        run({'sampling': {'scale_factor': 1.5}})
    with pytest.raises(ValueError, match=r"unknown protocol 'slow'; available: \['fast', 'precise'\]"):
        run({'protocol': 'slow'})
    with pytest.raises(ValueError, match=r"glass: explorer md: give \['production_ps'\] \(in its md settings\)"):
        run({'md': {'snapshot_spacing_ps': 0.02}})
    with pytest.raises(ValueError, match=r'stage glass runs MD: give lammps_code'):
        run({'md': TINY_MD})
    # a glass stage needs no structures, but an explorer that starts from structures does
    perturb = {'type': 'perturb', 'count_per_structure': 1}
    with pytest.raises(ValueError, match=r"stage glass: the explorers \['perturb'\] start from structures: give the "
                                         r"input `structures` \(only \['glass'\] build their own\)"):
        run(perturb)
    with pytest.raises(ValueError, match=r"stage glass: the explorers \['perturb'\] start from structures"):
        run({}, perturb)


def test_workstation_protocol_runs_the_thesis_stages_on_the_crystals_it_names(aiida_profile, lps_code, pseudo_family):
    """Every stage of the `workstation` protocol passes the launch checks with the cells its description asks for."""
    from aiida_lps.structures.crystals import get_crystal
    from aiida_lps.workflows.labelling import DftLabellingWorkChain

    cells = {'beta_Li3PS4': get_crystal('beta-Li3PS4'), 'gamma_Li3PS4': get_crystal('gamma-Li3PS4').repeat((2, 1, 1)),
             'alpha_Li3PS4': get_crystal('alpha-Li3PS4'), 'Li7P3S11': get_crystal('Li7P3S11'),
             'Li4P2S6': get_crystal('Li4P2S6').repeat((1, 1, 2))}
    assert all(24 <= len(atoms) <= 48 for atoms in cells.values())
    structures = {label: orm.StructureData(ase=atoms) for label, atoms in cells.items()}
    builder = IterativeTrainingWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), structures, lammps_code=lps_code('lmp'), protocol='workstation',
        initial_structures=structures,
    )
    labels = DftLabellingWorkChain.get_protocol_inputs('workstation')
    assert builder.labelling.cutoff_stringency.value == labels['cutoff_stringency']
    assert builder.labelling.pw_base.kpoints_distance.value == labels['kpoints_distance']
    inputs = builder._inputs(prune=True)
    assert IterativeTrainingWorkChain.spec().inputs.validate(inputs) is None
    inputs['structures'] = {label: structure for label, structure in structures.items() if label != 'Li4P2S6'}
    refusal = IterativeTrainingWorkChain.spec().inputs.validate(inputs)
    assert "stage P2S6: structures ['Li4P2S6'] are not among the inputs" in str(refusal)
    stages = builder.stages.get_list()
    assert [stage['name'] for stage in stages] == ['crystal', 'glass', 'glass_md', 'P2S6', 'close_contacts']
    glass, glass_md, p2s6 = stages[1]['explorers'][0], stages[2]['explorers'][0], stages[3]['explorers'][2]
    assert GlassExplorer.formula_units(GlassExplorer.settings(glass)) == 4
    assert GlassExplorer.md_settings(GlassExplorer.settings(glass_md))['temperatures_K'] == [600.0]
    assert GlassExplorer.built_composition(GlassExplorer.settings(p2s6)) == {'Li': 9, 'P': 3, 'S': 12}
    table_1 = IterativeTrainingWorkChain.get_builder_from_protocol(
        lps_code('pw'), lps_code('gap_fit'), structures, protocol='precise').gap_fit.parameters.get_dict()
    # Table 1 with the SOAP signal variance measured on the campaign's labels (benchmarks/gap_regularisation.py)
    assert builder.gap_fit.parameters.get_dict() == recursive_merge(table_1, {'soap': {'delta': 1.0}})
