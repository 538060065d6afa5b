"""The matcher's pruning pass as one compiled loop (numba): which Top-N combinations of a user can still win.

numpy needed ~15 full passes over a (users × N³) array to bound every combination; here a combination's bound
is a dozen float64 operations kept in registers, with the head and face parts hoisted out of the inner loop.
This module is imported only when matching runs, so the app and the CLI's other commands start without numba;
``cache=True`` keeps the compiled code beside this file, so only the first run on a machine compiles (~2 s).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def mark_survivors(users, vectors, cos, corr, dots, centred_dots, cand_h, cand_f, cand_t, slot_position,
                   inverse_sum_norms, inverse_centred_sum_norms, w_slope, w_centre, weights, margin, keep):
    """Set ``keep[u, c]`` (U, Nh·Nf·Nt) for the combinations whose score bound reaches the floor less ``margin``.

    The bound is the score with its w_error term replaced by the bound weight − w_slope·|D − w_centre| (w_slope
    carries the weight; ``matcher._best_of_top_n`` explains it); the floor is the exact score of the combination with the highest bound. ``weights`` are
    (sim_global / 2, w_error, min_sim, min_corr); the two inverse-norm tables are (H, F, T), indexed by each
    catalogue row's ``slot_position``. The other inputs are ``matcher``'s per-user arrays: cosines,
    correlations and unit dots (U, A), candidate rows (U, N·)."""
    n_users, nh = cand_h.shape
    nf, nt = cand_f.shape[1], cand_t.shape[1]
    half_sim, w_error, w_min_sim, w_min_corr = weights[0], weights[1], weights[2], weights[3]
    bounds = np.empty(nh * nf * nt)
    # the torso candidates' terms, gathered once per user so that the inner loop reads them contiguously
    torso_dot, torso_centred, torso_cos, torso_corr = np.empty(nt), np.empty(nt), np.empty(nt), np.empty(nt)
    torso_position = np.empty(nt, dtype=np.int64)
    for u in range(n_users):
        for k in range(nt):
            t = cand_t[u, k]
            torso_dot[k], torso_centred[k] = dots[u, t], centred_dots[u, t]
            torso_cos[k], torso_corr[k], torso_position[k] = cos[u, t], corr[u, t], slot_position[t]
        slope, centre = w_slope[u], w_centre[u]
        best, seed = -np.inf, 0
        for i in range(nh):
            h = cand_h[u, i]
            for j in range(nf):
                f = cand_f[u, j]
                inverse_hf = inverse_sum_norms[slot_position[h], slot_position[f]]
                inverse_centred_hf = inverse_centred_sum_norms[slot_position[h], slot_position[f]]
                dot_hf, centred_hf = dots[u, h] + dots[u, f], centred_dots[u, h] + centred_dots[u, f]
                cos_hf, corr_hf = min(cos[u, h], cos[u, f]), min(corr[u, h], corr[u, f])
                first = (i * nf + j) * nt
                for k in range(nt):
                    dot = dot_hf + torso_dot[k]
                    bounds[first + k] = (
                        half_sim * (dot * inverse_hf[torso_position[k]]
                                    + (centred_hf + torso_centred[k]) * inverse_centred_hf[torso_position[k]])
                        + w_error - slope * abs(dot - centre)
                        + w_min_sim * min(cos_hf, torso_cos[k]) + w_min_corr * min(corr_hf, torso_corr[k]))
                for k in range(nt):
                    if bounds[first + k] > best:
                        best, seed = bounds[first + k], first + k
        h, f, t = cand_h[u, seed // (nf * nt)], cand_f[u, (seed // nt) % nf], cand_t[u, seed % nt]
        # the seed's exact score: its bound with the w_error bound swapped for the exact w_error
        weighted = total = 0.0  # 1 − w_error = Σ|u − combo|·u / Σu, and 0 for an all-zero user
        for g in range(users.shape[1]):
            weighted += abs(users[u, g] - (vectors[h, g] + vectors[f, g] + vectors[t, g]) / 3.0) * users[u, g]
            total += users[u, g]
        floor = (best + slope * abs(dots[u, h] + dots[u, f] + dots[u, t] - centre)
                 - (w_error * weighted / total if total > 0 else 0.0))
        for c in range(bounds.size):
            keep[u, c] = bounds[c] >= floor - margin

