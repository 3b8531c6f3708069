"""Fit a GAP (fast preset) to the newest TrainingSetData in the profile. Run: verdi run examples/gap_fit.py

Create a training set first, e.g. with examples/dft_labelling.py or `aiida-lps quickstart`.
"""
from aiida import orm
from aiida.engine import run_get_node

from aiida_lps.calculations.gap_fit import GapFitCalculation
from aiida_lps.data.training_set import TrainingSetData
from aiida_lps.potentials.gap import GAP_PRESETS

query = orm.QueryBuilder().append(TrainingSetData, tag='set').order_by({'set': {'ctime': 'desc'}})
training_set = query.first(flat=True)
if training_set is None:
    raise SystemExit('no TrainingSetData in this profile: run examples/dft_labelling.py first')
builder = GapFitCalculation.get_builder()
builder.code = orm.load_code('gap_fit@localhost')
builder.training_set = training_set
builder.parameters = orm.Dict(GAP_PRESETS['fast'])
# force-dependent regularisation of the thesis, eq. 16
builder.force_sigma = orm.Dict({'sigma_min': 0.01, 'c': 0.1, 'a': 0.01})
results, node = run_get_node(builder)
print(f'GapFitCalculation<{node.pk}> exit {node.exit_status}')
if node.is_finished_ok:
    print(f'GapPotentialData<{results["potential"].pk}> species {results["potential"].species}')
    print(f'training metrics: {results["metrics"].get_dict()}')
