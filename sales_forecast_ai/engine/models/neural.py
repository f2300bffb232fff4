"""The four networks (MLP, CNN, LSTM, CNN-LSTM) as global forecasters.

One network per model learns from windows pooled over every series of the panel (each window
scaled by its series' recent mean, see engine.features), and outputs the whole horizon at once.

Horizon: the network is built for ``horizon`` steps (default 30 days, 13 weeks or 6 months;
the pipeline passes its own). ``predict(h)`` with a shorter h truncates; a longer h feeds each
block's forecast back as history and forecasts the next block from there (no retraining).

``fit`` trains once; ``forward(panel)`` re-conditions the trained network on a newer panel
(same series, more history) without retraining, for the later backtest origins. ``refit(panel)``,
for the final forecast, warm-starts from the trained weights and trains ``refit_epochs`` more
epochs on windows of the full history (validated on its latest origins; if no epoch beats the
starting weights there, they are kept), so the live forecast learns from the latest data.
Future inputs that were (almost) always zero in the training windows -- last year's levels on a
panel of about a year -- are zeroed in every window the network sees (``unseen_inputs``): their
weights never trained, and fed only at the panel end they made forecasts ~10x the recent level.

Memory: windows are built in chunks of ``BUILD_CHUNK`` (the year-ago features of a window are
an (h x 7) float64 block: 30,000 windows x 90 days built at once took ~450 MB of temporaries),
and ``release()`` drops the network and its TensorFlow graphs once the final forecast is made.

TensorFlow is imported only when a network is built, trained or run (neural_architectures.tf_modules).
"""
from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np

from ..features import (DEFAULT_HORIZON, DEFAULT_WINDOW, SEQ_CHANNELS, VAL_ORIGINS, ChunkedPanelWindows,
                        PanelWindows, Windows, future_dim, target_cap, training_split)
from ..panel import Panel
from .base import Forecast, Forecaster, register, z_value
from .neural_architectures import build_network
from .unseen_inputs import mask_unseen, seen_columns

_logger = logging.getLogger(__name__)
_RMSE_TRAIN_SAMPLE = 10_000
BUILD_CHUNK = 2048
SERIES_CHUNK = 2000  # series per block of ChunkedPanelWindows on bigger panels (~60 MB a block at 730 days)


class GlobalNetwork(Forecaster):
    """Shared training, conditioning and forecasting of the four architectures."""

    family = "neural"
    is_global = True
    refit_per_origin = False  # trained once per run; later origins only forward()
    arch = "mlp"
    # Windows sampled for training, and convolution width; the CNN-LSTM's steps cost ~4x the
    # MLP's, so it samples fewer, and it convolves within a week, so a narrower kernel.
    default_max_windows = 30_000
    default_kernel = 7

    def __init__(self, season_length: int = 7, seed: int = 0, horizon: int | None = None,
                 window: int | None = None, max_windows: int | None = None, epochs: int = 30, patience: int = 4,
                 batch_size: int = 256, units: int = 128, lstm_units: int = 32, filters: int = 32,
                 kernel_size: int | None = None, dropout: float = 0.1, learning_rate: float = 3e-3,
                 chunk: int | None = None, val_origins: int | None = None, refit_epochs: int = 5,
                 threads: int = 2, verbose: int = 0, **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.horizon, self.window = horizon, window
        self.max_windows = int(max_windows or self.default_max_windows)
        self.epochs, self.patience, self.batch_size = int(epochs), int(patience), int(batch_size)
        self.hyper = dict(units=units, lstm_units=lstm_units, filters=filters,
                          kernel_size=int(kernel_size or self.default_kernel),
                          dropout=dropout, learning_rate=learning_rate, chunk=chunk)
        self.val_origins, self.threads, self.verbose = val_origins, int(threads), verbose
        self.refit_epochs = int(refit_epochs)
        self._n_params = None
        self.model_ = None
        self.seen_ = None  # fut columns the trained weights have learnt from (unseen_inputs)
        self.status, self.message = "unfitted", ""
        self.rmse_train = self.rmse_val = float("nan")
        self.fit_seconds = 0.0
        self.epochs_run = self.n_train_windows = self.n_val_windows = 0

    # -- training -----------------------------------------------------------------------------
    def fit(self, panel: Panel) -> "GlobalNetwork":
        started = time.perf_counter()
        self._keras()  # TensorFlow's import peak (~570 MB) first, not on top of the training windows
        self._panel = panel
        self.freq_ = panel.freq
        self.horizon_ = int(self.horizon or DEFAULT_HORIZON[panel.freq])
        self.window_ = int(self.window or DEFAULT_WINDOW[panel.freq])
        self.model_ = None
        pw = self._windows(panel)
        rng = np.random.default_rng(self.seed)
        val_n = VAL_ORIGINS[panel.freq] if self.val_origins is None else int(self.val_origins)
        tr_rows, tr_orig, va_rows, va_orig = training_split(pw, rng, self.max_windows, val_n)
        train = _usable(_build(pw, tr_rows, tr_orig))
        val = _usable(_build(pw, va_rows, va_orig))
        del tr_rows, tr_orig, va_rows, va_orig
        self.n_train_windows, self.n_val_windows = len(train), len(val)
        if not len(train):
            self._fit_fallback(panel, pw)
        else:
            self.seen_ = seen_columns(train.fut)
            train, val = mask_unseen(train, self.seen_), mask_unseen(val, self.seen_)
            self._train(train, val)
            self._residuals(train, val, rng, panel)
            self.status, self.message = "ok", ""
        del train, val
        self._condition(panel, pw)
        self.fit_seconds = time.perf_counter() - started
        return self

    def refit(self, panel: Panel) -> "GlobalNetwork":
        """Warm start on the full history: a few more epochs from the trained weights."""
        if self.status == "unfitted":
            return self.fit(panel)
        if self.model_ is None or self.refit_epochs <= 0 or len(panel) != len(self._panel):
            return self.forward(panel)  # nothing trained to warm-start from (fallback), or told not to
        started = time.perf_counter()
        self._panel = panel
        pw = self._windows(panel)
        rng = np.random.default_rng(self.seed + 1)
        val_n = VAL_ORIGINS[panel.freq] if self.val_origins is None else int(self.val_origins)
        tr_rows, tr_orig, va_rows, va_orig = training_split(pw, rng, self.max_windows, val_n)
        train = _usable(_build(pw, tr_rows, tr_orig))
        val = _usable(_build(pw, va_rows, va_orig))
        if len(train) and len(val):
            cap = self.target_cap_
            # The inputs stay those of the first fit: a few fine-tuning epochs do not train weights
            # that started random (unseen_inputs).
            train, val = (mask_unseen(_capped(w, cap), self.seen_) for w in (train, val))
            start_weights, start_loss = self.model_.get_weights(), self._trainer.mse(val)
            lr = self.model_.optimizer.learning_rate
            lr.assign(self.hyper["learning_rate"] * 0.3)  # fine-tuning: smaller steps than training
            history = self._trainer.fit(train, val, epochs=self.refit_epochs, patience=2,
                                        batch_size=self.batch_size)
            best = min((v for _, v in history if np.isfinite(v)), default=np.inf)
            if not best < start_loss:
                self.model_.set_weights(start_weights)  # the latest data did not improve it: keep
            self.refit_epochs_run = len(history)
            self.n_train_windows, self.n_val_windows = len(train), len(val)
        del train, val
        self._condition(panel, pw)
        self.fit_seconds += time.perf_counter() - started
        return self

    def release(self) -> None:
        """Free the network, its training state and TensorFlow's graphs (the forecast is made)."""
        if self.model_ is not None:
            self._n_params = int(self.model_.count_params())
        self.model_ = self._trainer = self._last = None
        try:
            _, keras = self._keras()
            keras.backend.clear_session(free_memory=True)
        except Exception:  # an older Keras without free_memory: the references are gone anyway
            pass

    def _train(self, train, val):
        from .neural_training import Trainer

        _, keras = self._keras()
        keras.utils.set_random_seed(self.seed)
        model = build_network(self.arch, self.window_, SEQ_CHANNELS, train.fut.shape[1], self.horizon_,
                              threads=self.threads, **self.hyper)
        self._trainer = Trainer(model, seed=self.seed, threads=self.threads)
        epochs = self.epochs if len(val) else min(self.epochs, 10)  # no validation: no early stop
        self.target_cap_ = target_cap(train.target)
        self.history_ = self._trainer.fit(_capped(train, self.target_cap_), _capped(val, self.target_cap_),
                                          epochs=epochs, patience=self.patience, batch_size=self.batch_size)
        self.epochs_run = len(self.history_)
        self.model_ = model

    def _residuals(self, train, val, rng, panel):
        """Train/validation RMSE in units, and the error scale behind the model's own intervals."""
        sample = np.sort(rng.choice(len(train), min(len(train), _RMSE_TRAIN_SAMPLE), replace=False))
        err_train = self._run(train.seq[sample], train.fut[sample]) - train.target[sample]
        self.rmse_train = _rmse_units(err_train, train.scale[sample])
        if len(val):
            err, rows = self._run(val.seq, val.fut) - val.target, val.rows
            self.rmse_val = _rmse_units(err, val.scale)
        else:  # no room for a validation split: in-sample errors are the best estimate available
            err, rows = err_train, train.rows[sample]
            self.rmse_val = float("nan")
        self._set_error_scale(err, rows, panel)

    def _set_error_scale(self, err: np.ndarray, rows: np.ndarray, panel: Panel):
        """Pooled per-step error profile, and each series' own error level shrunk towards the pool."""
        err = np.nan_to_num(err, nan=0.0)
        pooled = float(np.sqrt(np.mean(err ** 2))) if err.size else 0.0
        self._step_rms = np.sqrt(np.mean(err ** 2, axis=0)) if err.size else np.zeros(self.horizon_)
        ss = np.bincount(rows, weights=(err ** 2).sum(axis=1), minlength=len(panel))
        n = np.bincount(rows, minlength=len(panel)) * err.shape[1]
        prior = self.horizon_  # one window's worth of pseudo-observations at the pooled level
        sigma = np.sqrt((ss + prior * pooled ** 2) / (n + prior))
        self._pooled_sigma = pooled
        self._series_sigma = {key: float(s) for key, s in zip(panel.keys, sigma)}

    def _fit_fallback(self, panel: Panel, pw: PanelWindows):
        """Nothing to train on (no series has sales and a full target): forecast the recent mean."""
        self.status = "fallback"
        self.message = ("no series long enough to train the network on "
                        f"({self.horizon_} steps ahead); forecasting each series' recent mean")
        _logger.info("%s: %s", self.name, self.message)
        self._step_rms = np.ones(self.horizon_)
        clean = [np.where(np.isfinite(v), v, 0.0) for v in panel.values]
        spread = [np.std(v) / np.mean(v) if len(v) and np.mean(v) > 0 else 0.0 for v in clean]
        self._pooled_sigma = float(np.mean(spread)) if spread else 0.0
        self._series_sigma = {key: float(s) for key, s in zip(panel.keys, spread)}

    # -- conditioning and forecasting ---------------------------------------------------------
    def forward(self, panel: Panel) -> "GlobalNetwork":
        """Forecast from the end of ``panel`` with the already trained network (no retraining)."""
        if self.status == "unfitted":
            return self.fit(panel)
        self._panel = panel
        self._condition(panel, self._windows(panel))
        return self

    def _condition(self, panel: Panel, pw: PanelWindows):
        self._last = mask_unseen(_build(pw, *pw.last_origins(), with_target=False), self.seen_)
        self._sigma_now = np.array([self._series_sigma.get(k, self._pooled_sigma) for k in panel.keys])

    def predict(self, h: int, level: Sequence[int] = ()) -> Forecast:
        if self.status == "unfitted":
            raise RuntimeError(f"{self.name}: call fit(panel) before predict()")
        h = int(h)
        n = len(self._panel)
        if h <= 0 or n == 0:
            empty = np.zeros((n, max(h, 0)))
            return Forecast(empty, {lvl: (empty, empty) for lvl in level})
        blocks, panel, last = [], self._panel, self._last
        while sum(b.shape[1] for b in blocks) < h:
            block = self._block(last)
            blocks.append(block)
            if sum(b.shape[1] for b in blocks) < h:
                panel = _extend(panel, block)
                last = _last_windows(self, panel)
        mean = np.hstack(blocks)[:, :h]
        profile = self._profile(h)
        ints = {}
        for lvl in level:
            half = z_value(lvl) * (self._sigma_now * self._last.scale)[:, None] * profile[None, :]
            ints[lvl] = (mean - half, mean + half)
        return Forecast(mean, ints).clip()

    def _block(self, win) -> np.ndarray:
        """One horizon of forecasts in units for the given conditioning windows."""
        if self.model_ is None:
            return np.repeat(win.scale[:, None], self.horizon_, axis=1)
        out = self._run(win.seq, win.fut) * win.scale[:, None]
        out = np.where(np.isfinite(out), out, win.scale[:, None])  # a diverged output: recent mean
        return np.where(win.scale[:, None] > 0, np.maximum(out, 0.0), 0.0)

    def _profile(self, h: int) -> np.ndarray:
        """Per-step error scale relative to the pooled one, growing like sqrt(steps) past the horizon."""
        base = self._step_rms / self._pooled_sigma if self._pooled_sigma > 0 else np.ones(self.horizon_)
        if h <= len(base):
            return base[:h]
        extra = base[-1] * np.sqrt(np.arange(len(base) + 1, h + 1) / len(base))
        return np.concatenate([base, extra])

    # -- helpers ------------------------------------------------------------------------------
    def _keras(self):
        from .neural_architectures import tf_modules

        return tf_modules(self.threads)

    def _windows(self, panel: Panel) -> PanelWindows:
        if len(panel) > SERIES_CHUNK:  # the same windows, one block of series in memory at a time
            return ChunkedPanelWindows(panel.values, panel.end, panel.freq, panel.country, self.window_,
                                       self.horizon_, chunk=SERIES_CHUNK)
        return PanelWindows(panel.values, panel.end, panel.freq, panel.country, self.window_, self.horizon_)

    def _run(self, seq, fut) -> np.ndarray:
        return self._trainer.predict(seq, fut)

    def n_params(self) -> int:
        """Trainable and non-trainable weights of the network (built with defaults if not fitted)."""
        if self.model_ is not None:
            return int(self.model_.count_params())
        if self._n_params is not None:
            return self._n_params
        return architecture_params(self.arch, getattr(self, "freq_", "D"), self.horizon, self.window,
                                   threads=self.threads, **self.hyper)


def architecture_params(arch: str, freq: str = "D", horizon: int | None = None, window: int | None = None,
                        threads: int = 2, **hyper) -> int:
    """Parameter count of an architecture for a panel frequency, without training it."""
    horizon = int(horizon or DEFAULT_HORIZON[freq])
    window = int(window or DEFAULT_WINDOW[freq])
    model = build_network(arch, window, SEQ_CHANNELS, future_dim(freq, horizon), horizon, threads=threads, **hyper)
    return int(model.count_params())


def _build(pw: PanelWindows, rows, origins, with_target: bool = True) -> Windows:
    """``pw.build(rows, origins, with_target)`` chunk by chunk into preallocated arrays, so the
    temporaries stay those of one chunk and the result is never held twice (parts + concatenation).
    Conditioning 50,000 series at once took ~750 MB of "last year" temporaries for h = 90."""
    rows, origins = np.asarray(rows, dtype=int), np.asarray(origins, dtype=int)
    if len(rows) <= BUILD_CHUNK:
        return pw.build(rows, origins, with_target=with_target)
    out = None
    fields = ("seq", "fut", "scale", "rows", "origins") + (("target",) if with_target else ())
    for i in range(0, len(rows), BUILD_CHUNK):
        part = pw.build(rows[i:i + BUILD_CHUNK], origins[i:i + BUILD_CHUNK], with_target=with_target)
        if out is None:
            out = {f: np.empty((len(rows),) + getattr(part, f).shape[1:], getattr(part, f).dtype)
                   for f in fields}
        for f, a in out.items():
            a[i:i + len(part)] = getattr(part, f)
    return Windows(**out)


def _usable(win):
    """Windows a network can learn from: the series had sales before the origin and target is known."""
    keep = (win.scale > 0) & np.isfinite(win.target).all(axis=1)
    if keep.all():
        return win
    return Windows(win.seq[keep], win.fut[keep], win.scale[keep], win.rows[keep], win.origins[keep],
                   win.target[keep])


def _capped(win: Windows, cap: float) -> Windows:
    """The windows with scaled targets clipped at ``cap`` (what the network is trained on)."""
    return Windows(win.seq, win.fut, win.scale, win.rows, win.origins, np.minimum(win.target, cap))


def _rmse_units(err_scaled: np.ndarray, scale: np.ndarray) -> float:
    if not err_scaled.size:
        return float("nan")
    return float(np.sqrt(np.mean((err_scaled * scale[:, None]) ** 2)))


def _extend(panel: Panel, block: np.ndarray) -> Panel:
    """The panel with ``block`` appended to every series, as if it had been observed."""
    values = [np.concatenate([v, b]) for v, b in zip(panel.values, block)]
    return Panel(panel.keys, values, panel.end + block.shape[1] * panel.offset, panel.freq, panel.country,
                 dict(panel.meta))


def _last_windows(net: GlobalNetwork, panel: Panel):
    pw = net._windows(panel)
    return mask_unseen(_build(pw, *pw.last_origins(), with_target=False), net.seen_)


@register
class MLPForecaster(GlobalNetwork):
    name, arch = "mlp", "mlp"


@register
class CNNForecaster(GlobalNetwork):
    name, arch = "cnn", "cnn"


@register
class LSTMForecaster(GlobalNetwork):
    name, arch = "lstm", "lstm"


@register
class CNNLSTMForecaster(GlobalNetwork):
    name, arch = "cnn_lstm", "cnn_lstm"
    default_max_windows = 20_000
    default_kernel = 3
