"""The four Keras networks of the mission and the lazy, bounded TensorFlow set-up they need.

Nothing here imports TensorFlow at module level: ``tf_modules()`` does, on first use, after
quietening its logs and capping its thread pools (both only take effect before TF starts).

Every network reads two inputs, ``history`` (L x 2: scaled demand, holiday flag) and
``calendar`` (the target dates' features, see engine.features), and outputs one unit per
forecast step (direct multi-horizon). The calendar joins after the sequence block, so each
architecture keeps the layer pattern it is named after:
  mlp       Flatten(history)+calendar -> Dense -> Dropout -> Dense(h)
  cnn       Conv1D -> MaxPooling1D -> Flatten, +calendar -> Dense -> Dense(h)
  lstm      LSTM (a chunk of periods per step) -> Dropout, +calendar -> Dense -> Dense(h)
  cnn_lstm  per chunk Conv1D -> MaxPooling1D, LSTM across chunks, +calendar -> Dense -> Dense(h)
"""
from __future__ import annotations

import os

ARCHITECTURES = ("mlp", "cnn", "lstm", "cnn_lstm")

_configured = False


def _cap_env(name: str, threads: int):
    current = os.environ.get(name, "")
    if not current.isdigit() or int(current) == 0 or int(current) > threads:
        os.environ[name] = str(threads)


def _cap_malloc_arenas(arenas: int = 2):
    """Bound glibc's per-thread malloc arenas (default 8 x cores): each TF pool thread otherwise
    gets its own, whose freed memory stays resident. Must run before those threads start."""
    try:
        import ctypes
        import ctypes.util

        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-8, int(arenas))  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def tf_modules(threads: int = 2):
    """(tensorflow, keras), imported on first call with deterministic ops and <= ``threads`` threads.

    Memory: oneDNN's custom CPU ops are off (``TF_ENABLE_ONEDNN_OPTS=0``, unless set otherwise):
    their primitive caches cost ~30 MB in the training child for no measurable gain on these
    small networks; and the malloc arenas are capped (see ``_cap_malloc_arenas``)."""
    global _configured
    if not _configured:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        _cap_env("TF_NUM_INTRAOP_THREADS", threads)
        _cap_env("TF_NUM_INTEROP_THREADS", threads)
        _cap_malloc_arenas(threads)
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
        _page_out_import_code(os.path.dirname(tf.__file__))
    return tf, keras


def _page_out_import_code(directory: str) -> int:
    """Unmap the pages of TensorFlow's libraries that only its import touched; returns the bytes advised.

    Importing TensorFlow maps and reads ~350 MB of its shared libraries (kernel and op registrations)
    and they stay in the process' resident set, while training the four networks afterwards touches
    only ~50 MB of them again (measured: file-backed RSS 348 MB -> ~60 MB, ~115 MB after the four
    networks). ``MADV_DONTNEED`` drops them from this process only: they stay in the page cache, and a
    page used later is mapped again on its first access (a minor fault). Only mappings of the
    package's files that are read-only AND still hold no private copy of a page (``Anonymous: 0``)
    are advised: a relocated (RELRO) page would revert to the file's content."""
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        advised, current = 0, None
        with open("/proc/self/smaps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                head = line.split(maxsplit=5)
                if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:  # a mapping's first line
                    path = head[5].strip() if len(head) == 6 else ""
                    lo, hi = (int(x, 16) for x in head[0].split("-"))
                    current = (lo, hi) if "w" not in head[1] and path.startswith(directory) else None
                elif current and head[0] == "Anonymous:":
                    if head[1] == "0" and libc.madvise(current[0], current[1] - current[0], 4) == 0:
                        advised += current[1] - current[0]  # MADV_DONTNEED
                    current = None
        return advised
    except (OSError, AttributeError, ValueError, IndexError):  # not Linux: nothing unmapped
        return 0


def lstm_chunk(window: int) -> int:
    """Days (periods) an LSTM step reads: the largest divisor of the window giving >= 4 steps.

    28 days -> 7 (one week per step), 26 weeks -> 2, 12 months -> 3. Reading a week per step
    keeps weekdays aligned and runs ~6x cheaper on CPU than one step per day, with no loss of
    accuracy measured on the Kaggle store-item data (see the engine README's benchmark).
    """
    return max(d for d in range(1, max(window // 4, 1) + 1) if window % d == 0)


def build_network(arch: str, window: int, channels: int, fut_dim: int, horizon: int, *, units: int = 128,
                  lstm_units: int = 32, filters: int = 32, kernel_size: int = 7, dropout: float = 0.1,
                  learning_rate: float = 3e-3, chunk: int | None = None, threads: int = 2):
    """A compiled Keras model for ``arch`` (one of ARCHITECTURES).

    ``chunk``: periods per LSTM step (default ``lstm_chunk(window)``; 1 = one step per period).
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    _, keras = tf_modules(threads)
    layers = keras.layers
    history = keras.Input((window, channels), name="history")
    calendar = keras.Input((fut_dim,), name="calendar")
    chunk = int(chunk or lstm_chunk(window))
    if window % chunk:
        raise ValueError(f"chunk {chunk} does not divide the window {window}")
    if arch == "mlp":
        x = layers.Concatenate()([layers.Flatten()(history), calendar])
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    else:
        if arch == "cnn":
            x = layers.Conv1D(filters, min(kernel_size, window), padding="same", activation="relu")(history)
            x = layers.MaxPooling1D(2 if window >= 2 else 1)(x)
            x = layers.Flatten()(x)
        elif arch == "lstm":
            x = layers.Reshape((window // chunk, chunk * channels))(history)
            x = layers.LSTM(lstm_units)(x)
            x = layers.Dropout(dropout)(x)
        else:  # cnn_lstm: convolve within each chunk, then an LSTM across chunks (as in the original)
            # Chunks are folded into the batch rather than wrapped in TimeDistributed, which
            # Keras 3 runs through vectorized_map at ~3x the cost per step.
            ops = keras.ops
            x = ops.reshape(history, (-1, chunk, channels))
            x = layers.Conv1D(filters, min(kernel_size, chunk), padding="same", activation="relu")(x)
            x = layers.MaxPooling1D(2 if chunk >= 2 else 1)(x)
            x = ops.reshape(x, (-1, window // chunk, x.shape[1] * x.shape[2]))
            x = layers.LSTM(lstm_units)(x)
        x = layers.Concatenate()([x, calendar])
        x = layers.Dense(units, activation="relu")(x)
    # Targets are scaled by the recent mean, so starting every output at 1 starts from "flat".
    out = layers.Dense(horizon, bias_initializer=keras.initializers.Constant(1.0), name="steps")(x)
    model = keras.Model([history, calendar], out, name=arch)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse", jit_compile=False)
    return model
