"""Read-only properties over the attributes that every potential data node stores."""

__all__ = ('PotentialAttributesMixin',)


class PotentialAttributesMixin:
    """``species``, ``md5``, ``hyperparameters`` and ``metrics`` of a potential node (set when it is created), and
    the check that it covers a structure's species."""

    #: What the potential is, in messages ('GAP', 'SNAP').
    potential_kind = 'potential'

    @property
    def species(self) -> list[str]:
        """Chemical symbols the potential covers, sorted by atomic number (LAMMPS types 1, 2, ...)."""
        return self.base.attributes.get('species')

    @property
    def md5(self) -> str:
        """MD5 of the potential's file content; ``get_or_create`` deduplicates by it."""
        return self.base.attributes.get('md5')

    @property
    def hyperparameters(self) -> dict:
        return self.base.attributes.get('hyperparameters')

    @property
    def metrics(self) -> dict:
        """Training errors of the fit (energy meV/atom, force eV/Angstrom, per element)."""
        return self.base.attributes.get('metrics')

    def check_covers(self, symbols) -> None:
        """Raise ``ValueError`` naming the species of ``symbols`` that this potential was not trained on."""
        missing = sorted(set(symbols) - set(self.species))
        if missing:
            raise ValueError(f'the {self.potential_kind} potential<{self.pk}> covers {self.species} but the structure '
                             f'also has {missing}')
