"""Plain-text reading of ``gap_fit`` output."""
from __future__ import annotations

import re

MEMORY_PATTERNS = ('cannot allocate memory', 'out of memory', 'allocation would exceed memory limit', 'killed')


def parse_gap_fit_output(text: str) -> dict:
    """Find how a ``gap_fit`` run ended.

    :return: ``{'abort_message': str | None, 'out_of_memory': bool, 'finished': bool}``; ``finished`` is True when
        libAtoms printed its final ``Bye-Bye``.
    """
    abort = re.search(r'SYSTEM ABORT:\s*(.+)', text)
    lowered = text.lower()
    return {
        'abort_message': abort.group(1).strip() if abort else None,
        'out_of_memory': any(pattern in lowered for pattern in MEMORY_PATTERNS),
        'finished': 'Bye-Bye' in text,
    }
