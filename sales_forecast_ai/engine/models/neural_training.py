"""A lean training loop for the networks (Keras model, plain TensorFlow steps).

``keras.Model.fit`` re-traces a graph per input shape and runs a tf.data pipeline; on two busy
cores that costs more than the training itself for these small networks. Here one train step
and one forward pass are traced once each (fixed signature, any batch size), batches are numpy
slices in an order drawn from a seeded generator, and early stopping keeps the best weights.
XLA (jit_compile) was measured slower here and has no deterministic MaxPool gradient.
"""
from __future__ import annotations

import numpy as np

from .neural_architectures import tf_modules

PREDICT_BATCH = 8192


class Trainer:
    """Fits ``model`` (compiled Keras model with two inputs) on scaled windows, deterministically."""

    def __init__(self, model, seed: int = 0, threads: int = 2):
        tf, _ = tf_modules(threads)
        self.tf, self.model = tf, model
        seq_shape, fut_shape = (tuple(i.shape) for i in model.inputs)
        h = model.outputs[0].shape[-1]
        spec = [tf.TensorSpec((None,) + seq_shape[1:], tf.float32), tf.TensorSpec((None,) + fut_shape[1:], tf.float32)]
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        variables = model.trainable_variables

        def step(seq, fut, target):
            with tf.GradientTape() as tape:
                pred = model([seq, fut], training=True)
                loss = tf.reduce_mean(tf.square(pred - target))
            grads = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(grads, variables))
            return loss

        def forward(seq, fut):
            return model([seq, fut], training=False)

        # Concrete functions: calling them skips tf.function's per-call signature matching (~1 ms).
        self._step = tf.function(step, input_signature=spec + [tf.TensorSpec((None, h), tf.float32)],
                                 autograph=False).get_concrete_function()
        self._forward = tf.function(forward, input_signature=spec, autograph=False).get_concrete_function()
        self.rng = np.random.default_rng(seed)

    def predict(self, seq: np.ndarray, fut: np.ndarray) -> np.ndarray:
        h = self.model.outputs[0].shape[-1]
        if not len(seq):
            return np.zeros((0, h))
        c = self.tf.constant
        parts = [self._forward(c(seq[i:i + PREDICT_BATCH]), c(fut[i:i + PREDICT_BATCH])).numpy()
                 for i in range(0, len(seq), PREDICT_BATCH)]
        return np.vstack(parts).astype(float)

    def mse(self, win) -> float:
        return float(np.mean((self.predict(win.seq, win.fut) - win.target) ** 2))

    def fit(self, train, val=None, epochs: int = 30, patience: int = 4, batch_size: int = 512) -> list:
        """Train; with validation windows, halve the learning rate after two epochs without
        improvement, stop after ``patience`` and restore the best epoch's weights.
        Returns the per-epoch (train_loss, val_loss) history."""
        history, best, best_weights, waited = [], np.inf, None, 0
        n, c = len(train), self.tf.constant
        lr = self.model.optimizer.learning_rate
        for _ in range(max(int(epochs), 1)):
            order = self.rng.permutation(n)
            losses = []
            # Full batches only: one compiled shape; the few windows left out differ every epoch.
            batch = min(batch_size, n)
            for i in range(0, n - batch + 1, batch):
                b = order[i:i + batch]
                losses.append(float(self._step(c(train.seq[b]), c(train.fut[b]), c(train.target[b]))))
            val_loss = self.mse(val) if val is not None and len(val) else float("nan")
            history.append((float(np.mean(losses)), val_loss))
            if not np.isfinite(history[-1][0]):
                break  # diverged: keep the best weights seen so far
            if not np.isfinite(val_loss):
                continue
            if val_loss < best - 1e-6:
                best, best_weights, waited = val_loss, self.model.get_weights(), 0
                continue
            waited += 1
            if waited >= patience:
                break
            if waited % 2 == 0:
                lr.assign(lr * 0.5)
        if best_weights is not None:
            self.model.set_weights(best_weights)
        return history
