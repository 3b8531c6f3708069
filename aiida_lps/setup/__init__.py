"""Installation of the real stack: QE, pseudopotentials, the LAMMPS GAP plugin, the AiiDA profile and codes."""
