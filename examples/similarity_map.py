"""SOAP similarity maps of the library crystals and a few sampled glasses: kPCA plots and a chemiscope file.

Run: verdi run examples/similarity_map.py

- structures: every crystal of ``aiida_lps.structures.crystals`` and four glasses (Li3PS4 twice, Li7P3S11,
  Li4P2S7) sampled by the thesis protocol (``sample_glass``: random anions on a grid, Li on clustered Voronoi
  vertices, compression to 1.8 g/cm3) with the overlap cleaner as the relaxation, NOT the GAP: they are
  placement geometries, never relaxed by a potential or run in MD;
- ``global_soap_kpca``: one point per structure (atom-averaged SOAP, GAP cutoffs, kernel (x.y)^2);
- ``atomic_soap_kpca``: one point per S environment (thesis Fig. 20b);
- ``chemiscope_similarity_map``: both maps in ``similarity_map.json.gz`` (open it at https://chemiscope.org);
- ``soap_dissimilarity``: how far the glass environments lie from the newest training set in the profile (thesis
  eq. 17), if there is one.

Writes ``similarity_global_kpca.png``, ``similarity_sulfur_kpca.png`` and ``similarity_map.json.gz``.
"""
import time

import numpy as np
from aiida import orm

from aiida_lps.analysis.soap import GAP_SOAP_PARAMETERS
from aiida_lps.calculations.functions.atomic_soap_kpca import atomic_soap_kpca
from aiida_lps.calculations.functions.chemiscope_similarity_map import chemiscope_similarity_map
from aiida_lps.calculations.functions.global_soap_kpca import global_soap_kpca
from aiida_lps.calculations.functions.soap_dissimilarity import soap_dissimilarity
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.plotting.similarity import plot_kernel_pca_map
from aiida_lps.sampling.glass import sample_glass
from aiida_lps.sampling.overlap_relax import relax_overlaps
from aiida_lps.structures.building_blocks import glass_recipe
from aiida_lps.structures.crystals import get_crystal, list_crystals

#: label -> (composition, formula units, seed) of the sampled glasses.
GLASSES = {'glass_Li3PS4_a': ('Li3PS4', 12, 1), 'glass_Li3PS4_b': ('Li3PS4', 12, 2),
           'glass_Li7P3S11': ('Li7P3S11', 4, 3), 'glass_Li4P2S7': ('Li4P2S7', 6, 4)}
SOAP = orm.Dict({'species': list(GAP_SOAP_PARAMETERS.species), 'r_cut': GAP_SOAP_PARAMETERS.r_cut,
                 'n_max': GAP_SOAP_PARAMETERS.n_max, 'l_max': GAP_SOAP_PARAMETERS.l_max,
                 'sigma': GAP_SOAP_PARAMETERS.sigma})
ZETA, SEED = orm.Int(2), orm.Int(0)


def kind(label: str) -> str:
    return 'glass (overlap cleaner)' if label.startswith('glass_') else label


start = time.monotonic()
structures = {name.replace('-', '_'): orm.StructureData(ase=get_crystal(name)) for name in list_crystals()}
for label, (composition, n_units, seed) in GLASSES.items():
    structures[label] = orm.StructureData(ase=sample_glass(glass_recipe(composition, n_units), relax_overlaps, seed))
print(f'{len(structures)} structures ({sum(len(s.sites) for s in structures.values())} atoms) in '
      f'{time.monotonic() - start:.0f} s')

global_map = global_soap_kpca(SOAP, ZETA, SEED, **structures)
labels = global_map.base.attributes.get('labels')
plot_kernel_pca_map(global_map.get_array('coordinates'), [kind(label) for label in labels],
                    markers={'glass (overlap cleaner)': 'x'}, title='global SOAP kPCA',
                    path='similarity_global_kpca.png')
sulfur_map = atomic_soap_kpca(SOAP, ZETA, SEED, orm.List(['S']), **structures)
environment_labels = ['glass (overlap cleaner)' if labels[index].startswith('glass_') else 'crystal'
                      for index in sulfur_map.get_array('structure_index')]
plot_kernel_pca_map(sulfur_map.get_array('coordinates'), environment_labels, title='S environments, SOAP kPCA',
                    path='similarity_sulfur_kpca.png')
viewer = chemiscope_similarity_map(global_map, sulfur_map, **structures)
with open('similarity_map.json.gz', 'wb') as handle:
    handle.write(viewer.get_content(mode='rb'))
print(f'global map: calcfunction<{global_map.creator.pk}>, S map: calcfunction<{sulfur_map.creator.pk}> '
      f'({len(environment_labels)} environments), chemiscope file: SinglefileData<{viewer.pk}>')
print('wrote similarity_global_kpca.png, similarity_sulfur_kpca.png, similarity_map.json.gz')

newest_first = {'set': {'ctime': 'desc'}}
training_set = orm.QueryBuilder().append(TrainingSetData, tag='set').order_by(newest_first).first(flat=True)
if training_set is not None:
    compared = {label: structures[label] for label in ('gamma_Li3PS4', 'beta_Li3PS4', *GLASSES)}
    distances = soap_dissimilarity(training_set, SOAP, ZETA, orm.List(['P', 'S']), **compared)
    print(f'dissimilarity from TrainingSetData<{training_set.pk}> ({len(training_set)} structures), P and S '
          'environments, SOAP distance sqrt(2 - 2k):')
    for label in compared:
        values = distances.get_array(f'dissimilarity_{label}')
        print(f'  {label:16s} median {np.median(values):.3f}  max {values.max():.3f}')
print(f'done in {time.monotonic() - start:.0f} s')
