"""Inputs a global network never saw during training are left out of its forecasts.

A weight multiplying an input that was zero in every training window never gets a gradient:
it keeps its random starting value. When that input becomes non-zero only at prediction time,
the network's output is whatever those random weights make of it. The "same period last year"
terms of ``engine.features`` do exactly that on a panel of about one year: every training
window predates the first anniversary of the series, so the terms (and their availability
flag) are zero in all of them, and they first appear in the final forecast's windows. On the
online shop's data (346 days) that turned the LSTM's forecast of items selling ~30 a day into
~300 a day for the last weeks of the horizon, and the champions over-forecast the held-out
month by 29%.

``seen_columns`` records which columns of the ``fut`` input were non-zero in at least
``MIN_SEEN_SHARE`` of the training windows; ``mask_unseen`` sets the others to zero in the
prediction windows, i.e. to the value the network was trained with. A holiday flag is
non-zero in ~2% of daily windows (8 holidays a year) and stays; last-year terms seen by fewer
than 1 window in 200 are treated as unseen.
"""
from __future__ import annotations

import numpy as np

MIN_SEEN_SHARE = 0.005


def seen_columns(fut: np.ndarray, min_share: float = MIN_SEEN_SHARE) -> np.ndarray | None:
    """Boolean (F,): the ``fut`` columns non-zero in at least ``min_share`` of the windows.

    None when there are no windows (nothing was trained: nothing to mask against)."""
    fut = np.asarray(fut)
    if fut.ndim != 2 or not len(fut):
        return None
    return (np.asarray(fut != 0).mean(axis=0) >= float(min_share))


def mask_unseen(win, seen: np.ndarray | None):
    """``win`` (engine.features.Windows) with its unseen ``fut`` columns set to zero."""
    if seen is None:
        return win
    if len(seen) != win.fut.shape[1]:
        raise ValueError(f"{len(seen)} seen flags for {win.fut.shape[1]} future inputs")
    if seen.all() or not len(win):
        return win
    fut = win.fut.copy()
    fut[:, ~seen] = 0.0
    return type(win)(win.seq, fut, win.scale, win.rows, win.origins, win.target)
