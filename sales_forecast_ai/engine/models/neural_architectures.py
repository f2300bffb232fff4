"""The four Keras networks of the mission and the lazy, bounded TensorFlow set-up they need.

Nothing here imports TensorFlow at module level: ``tf_modules()`` does, on first use, after
quietening its logs and capping its thread pools (both only take effect before TF starts).

Every network reads two inputs, ``history`` (L x 2: scaled demand, holiday flag) and
``calendar`` (the target dates' features, see engine.features), and outputs one unit per
forecast step (direct multi-horizon). The calendar joins after the sequence block, so each
architecture keeps the layer pattern it is named after:
  mlp       Flatten(history)+calendar -> Dense -> Dropout -> Dense(h)
  cnn       Conv1D -> MaxPooling1D -> Flatten, +calendar -> Dense -> Dense(h)
  lstm      LSTM -> Dropout, +calendar -> Dense -> Dense(h)
  cnn_lstm  Conv1D -> MaxPooling1D -> LSTM, +calendar -> Dense -> Dense(h)
"""
from __future__ import annotations

import os

ARCHITECTURES = ("mlp", "cnn", "lstm", "cnn_lstm")

_configured = False


def _cap_env(name: str, threads: int):
    current = os.environ.get(name, "")
    if not current.isdigit() or int(current) == 0 or int(current) > threads:
        os.environ[name] = str(threads)


def tf_modules(threads: int = 2):
    """(tensorflow, keras), imported on first call with deterministic ops and <= ``threads`` threads."""
    global _configured
    if not _configured:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        _cap_env("TF_NUM_INTRAOP_THREADS", threads)
        _cap_env("TF_NUM_INTEROP_THREADS", threads)
    import tensorflow as tf
    import keras

    if not _configured:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            # TF was started elsewhere in this process; the environment caps above still applied
            # if they were set before that, and the pools cannot be resized now.
            pass
        tf.config.experimental.enable_op_determinism()
        _configured = True
    return tf, keras


def build_network(arch: str, window: int, channels: int, fut_dim: int, horizon: int, *, units: int = 64,
                  lstm_units: int = 32, filters: int = 32, kernel_size: int = 7, dropout: float = 0.1,
                  learning_rate: float = 3e-3, unroll: bool = False, threads: int = 2):
    """A compiled Keras model for ``arch`` (one of ARCHITECTURES)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    _, keras = tf_modules(threads)
    layers = keras.layers
    history = keras.Input((window, channels), name="history")
    calendar = keras.Input((fut_dim,), name="calendar")
    # Windows shorter than the kernel or the pool still get a valid (if trivial) network.
    kernel = max(1, min(kernel_size, window))
    pool = 2 if window >= 2 else 1
    if arch == "mlp":
        x = layers.Concatenate()([layers.Flatten()(history), calendar])
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    else:
        x = history
        if arch in ("cnn", "cnn_lstm"):
            x = layers.Conv1D(filters, kernel, padding="same", activation="relu")(x)
            x = layers.MaxPooling1D(pool)(x)
        if arch == "cnn":
            x = layers.Flatten()(x)
        else:
            # unroll=True runs ~7% faster per step on CPU but traces ~2 s longer: a wash here.
            x = layers.LSTM(lstm_units, unroll=unroll)(x)
            if arch == "lstm":
                x = layers.Dropout(dropout)(x)
        x = layers.Concatenate()([x, calendar])
        x = layers.Dense(units, activation="relu")(x)
    # Targets are scaled by the recent mean, so starting every output at 1 starts from "flat".
    out = layers.Dense(horizon, bias_initializer=keras.initializers.Constant(1.0), name="steps")(x)
    model = keras.Model([history, calendar], out, name=arch)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", jit_compile=False)
    return model
