"""Li random walks with known D among static S (no MD), and the MLIP/DFT comparison of two of them."""
import numpy as np


def walk(rng, diffusivity, n_frames=400, interval_ps=0.1):
    """16 Li random walks with D (Angstrom^2/ps) among 16 static S in a 20 Angstrom cube."""
    steps = rng.normal(size=(n_frames - 1, 16, 3)) * np.sqrt(2 * diffusivity * interval_ps)
    li = np.concatenate([np.zeros((1, 16, 3)), np.cumsum(steps, axis=0)])
    sulfur = np.broadcast_to(rng.uniform(0, 20, (1, 16, 3)), (n_frames, 16, 3))
    return {'positions_A': np.concatenate([li, sulfur], axis=1), 'symbols': ['Li'] * 16 + ['S'] * 16,
            'cells_A': np.eye(3) * 20.0, 'times_ps': np.arange(n_frames) * interval_ps,
            'production_temperatures_K': np.full(n_frames, 900.0)}


def known_comparison(seed: int = 11) -> dict:
    """``compare_diffusion`` of walks with D = 0.6 (as the MLIP, 400 frames) and 0.3 Angstrom^2/ps (as DFT, 300
    frames) at 900 K, fitted from 1 to 10 ps."""
    from aiida_lps.analysis.md_validation import compare_diffusion

    rng = np.random.default_rng(seed)
    return compare_diffusion(walk(rng, 0.6), walk(rng, 0.3, n_frames=300), fit_start_ps=1.0, fit_end_ps=10.0)
