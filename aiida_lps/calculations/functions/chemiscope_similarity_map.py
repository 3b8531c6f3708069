"""Calcfunction: a chemiscope viewer file of SOAP kernel-PCA maps (``analysis.soap.write_chemiscope_input``)."""
import pathlib
import tempfile

from aiida import orm
from aiida.engine import calcfunction

from aiida_lps.analysis.soap import write_chemiscope_input

FILENAME = 'similarity_map.json.gz'


@calcfunction
def chemiscope_similarity_map(global_map: orm.ArrayData, atomic_map: orm.ArrayData = None,
                              **structures: orm.StructureData) -> orm.SinglefileData:
    """The structures with their global kPCA coordinates (``kpca_1``, ``kpca_2``) and, if ``atomic_map`` is given,
    the atomic kPCA coordinates of its environments (``atomic_kpca_1``, ``atomic_kpca_2``), as a gzipped chemiscope
    JSON file (open it at https://chemiscope.org).

    :param global_map: output of ``global_soap_kpca`` for exactly these structures.
    :param atomic_map: output of ``atomic_soap_kpca`` for exactly these structures.
    :param structures: label -> structure, the labels of the maps.
    """
    labels = sorted(structures)
    for name, kpca in (('global_map', global_map), ('atomic_map', atomic_map)):
        if kpca is not None and kpca.base.attributes.get('labels') != labels:
            raise ValueError(f'{name} was computed for other structures than those given; pass the same ones')
    frames = [structures[label].get_ase() for label in labels]
    coordinates = global_map.get_array('coordinates')
    structure_properties = {'kpca_1': coordinates[:, 0], 'kpca_2': coordinates[:, 1]}
    atom_properties, centers = None, None
    if atomic_map is not None:
        environments = atomic_map.get_array('coordinates')
        atom_properties = {'atomic_kpca_1': environments[:, 0], 'atomic_kpca_2': environments[:, 1]}
        structure_index, atom_index = atomic_map.get_array('structure_index'), atomic_map.get_array('atom_index')
        centers = [atom_index[structure_index == index].tolist() for index in range(len(labels))]
    with tempfile.TemporaryDirectory() as folder:
        path = write_chemiscope_input(pathlib.Path(folder) / FILENAME, frames,
                                      structure_properties=structure_properties, atom_properties=atom_properties,
                                      environment_centers=centers,
                                      description='SOAP kernel-PCA maps; structures: ' + ', '.join(labels))
        with path.open('rb') as handle:
            return orm.SinglefileData(handle, filename=FILENAME)
