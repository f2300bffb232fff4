"""Product recommendations from implicit feedback (who bought what), and a popularity baseline.

``ItemKNN`` is item-item collaborative filtering: a customer x product matrix of purchase
counts (number of distinct orders, log-damped: a customer who re-orders a product every week
likes it, but not 50 times more than one who bought it twice), cosine similarity between product
columns with a shrinkage term (similarities resting on few shared customers are pulled towards 0),
pruned to each product's ``k`` nearest neighbours. A customer's score for a product is the sum of
its similarities to what the customer bought, plus ``self_weight`` x their own purchase weight of
that product (an old habit is a good suggestion once it was not bought recently; irrelevant when
everything bought is excluded). ``bought_together`` is the same similarity computed
on order baskets (product x product co-occurrence in one order).

``Popularity`` recommends the products bought by the most customers: the baseline to beat.

``evaluate`` is a time-based hold-out: everything before ``split`` trains, each customer's purchases
on or after it are the truth; precision@N and recall@N over customers present in both parts, and
coverage (share of the catalogue that appears in someone's recommendations). By default products a
customer already bought in the training part are neither recommended nor counted as hits, so the
figures measure discovery, the use of a "suggested products" panel.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def _matrix(users, items, baskets=None):
    """(user labels, item labels, CSR users x items of log1p(number of distinct baskets))."""
    frame = pd.DataFrame({"u": np.asarray(users), "i": np.asarray(items)})
    frame["b"] = np.asarray(baskets) if baskets is not None else np.arange(len(frame))
    frame = frame.drop_duplicates(["u", "i", "b"])
    u_codes, u_labels = pd.factorize(frame["u"])
    i_codes, i_labels = pd.factorize(frame["i"])
    counts = sparse.coo_matrix((np.ones(len(frame), dtype=np.float32), (u_codes, i_codes)),
                               shape=(len(u_labels), len(i_labels))).tocsr()
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data).astype(np.float32)
    return u_labels, i_labels, counts


def _cosine_topk(matrix, k, shrink):
    """Item x item cosine similarity of the columns of ``matrix``, each row pruned to its k best."""
    binary = matrix.copy()
    binary.data = np.ones_like(binary.data)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel()).astype(np.float32)
    # Weights are positive, so both products have the same pattern: one entry per pair of products
    # sharing a customer; sorted CSR makes their data arrays line up.
    co, support = ((m.T @ m).tocsr() for m in (matrix, binary))
    for m in (co, support):
        m.setdiag(0)
        m.eliminate_zeros()
        m.sort_indices()
    coo = co.tocoo()
    sim = coo.data.astype(np.float32) / (norms[coo.row] * norms[coo.col] + 1e-9)
    shared = support.data.astype(np.float32)
    sim *= shared / (shared + shrink)
    sim = sparse.csr_matrix((sim, (coo.row, coo.col)), shape=co.shape)
    return _prune_rows(sim, k)


def _prune_rows(matrix, k):
    matrix = matrix.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(matrix.shape[0]):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        row_data, row_idx = matrix.data[start:end], matrix.indices[start:end]
        if len(row_data) > k:
            keep = np.argpartition(-row_data, k - 1)[:k]
            row_data, row_idx = row_data[keep], row_idx[keep]
        data.append(row_data)
        indices.append(row_idx)
        indptr.append(indptr[-1] + len(row_data))
    data = np.concatenate(data) if data else np.zeros(0, dtype=np.float32)
    indices = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((data, indices, np.asarray(indptr)), shape=matrix.shape)


def _top_n(scores, n, exclude_rows=None):
    """Per row of a dense score block: indices and scores of the n best (score > 0), best first."""
    if exclude_rows is not None:
        scores = np.where(exclude_rows, -np.inf, scores)
    n = min(n, scores.shape[1])
    if n <= 0:
        return [[] for _ in range(scores.shape[0])]
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    out = []
    for r in range(scores.shape[0]):
        idx = part[r][np.argsort(-scores[r, part[r]], kind="stable")]
        out.append([(int(i), float(scores[r, i])) for i in idx if scores[r, i] > 0])
    return out


class Popularity:
    """Products bought by the most customers, the same list for everyone (minus what they own)."""

    def fit(self, users, items, baskets=None):
        self.users_, self.items_, self.matrix_ = _matrix(users, items, baskets)
        binary = self.matrix_.copy()
        binary.data = np.ones_like(binary.data)
        self.popularity_ = np.asarray(binary.sum(axis=0)).ravel().astype(float)
        return self

    def _scores(self, rows):
        return np.tile(self.popularity_, (len(rows), 1))

    def recommend_all(self, n=10, exclude_known=True, exclude=None, batch=512):
        """{user label: [(item label, score), ...]} for every customer seen in fit.

        ``exclude_known`` leaves out what each customer bought in the fitted data; ``exclude``
        ({user: items}) instead leaves out only those (e.g. what they bought recently)."""
        out = {}
        item_pos = {item: i for i, item in enumerate(self.items_)} if exclude is not None else None
        for start in range(0, len(self.users_), batch):
            rows = np.arange(start, min(start + batch, len(self.users_)))
            scores = self._scores(rows)
            known = None
            if exclude is not None:
                known = np.zeros(scores.shape, dtype=bool)
                for r, row in enumerate(rows):
                    cols = [item_pos[i] for i in exclude.get(self.users_[row], ()) if i in item_pos]
                    known[r, cols] = True
            elif exclude_known:
                known = self.matrix_[rows].toarray() > 0
            for r, recs in zip(rows, _top_n(scores, n, known)):
                out[self.users_[r]] = [(self.items_[i], s) for i, s in recs]
        return out


class ItemKNN(Popularity):
    """Item-item collaborative filtering on implicit feedback (see module docstring)."""

    def __init__(self, k=50, shrink=5.0, self_weight=1.0):
        self.k, self.shrink, self.self_weight = int(k), float(shrink), float(self_weight)

    def fit(self, users, items, baskets=None):
        super().fit(users, items, baskets)
        self.similarity_ = _cosine_topk(self.matrix_, self.k, self.shrink)
        return self

    def _scores(self, rows):
        own = self.matrix_[rows]
        scores = (own @ self.similarity_).toarray()
        if self.self_weight:
            # What the customer keeps re-ordering counts too, for products not bought recently.
            scores += self.self_weight * own.toarray()
        # Ties (and customers with nothing similar) fall back on popularity, a tiny tie-breaker.
        return scores + 1e-6 * self.popularity_ / max(self.popularity_.max(), 1.0)


def bought_together(baskets, items, n=5, k=50, shrink=2.0) -> dict:
    """{item: [(item, score), ...]}: products most often in the same order, cosine on baskets."""
    _, item_labels, matrix = _matrix(baskets, items)
    matrix.data = np.ones_like(matrix.data)
    sim = _cosine_topk(matrix, max(k, n), shrink)
    out = {}
    for r in range(sim.shape[0]):
        start, end = sim.indptr[r], sim.indptr[r + 1]
        data, idx = sim.data[start:end], sim.indices[start:end]
        order = np.argsort(-data, kind="stable")[:n]
        recs = [(item_labels[idx[j]], float(data[j])) for j in order if data[j] > 0]
        if recs:
            out[item_labels[r]] = recs
    return out


def holdout_split(frame, test_fraction=0.2, date_col="date"):
    """Split a transaction frame at the date leaving ``test_fraction`` of the days for the test."""
    dates = pd.to_datetime(frame[date_col])
    split = dates.min() + (dates.max() - dates.min()) * (1.0 - test_fraction)
    return frame[dates < split], frame[dates >= split], split


def evaluate(model, train, test, n=10, exclude_known=True, user_col="user", item_col="item",
             basket_col=None) -> dict:
    """precision@n, recall@n and coverage of ``model`` fitted on ``train``, judged on ``test``."""
    model.fit(train[user_col].to_numpy(), train[item_col].to_numpy(),
              train[basket_col].to_numpy() if basket_col else None)
    recs = model.recommend_all(n=n, exclude_known=exclude_known)
    known = train.groupby(user_col)[item_col].agg(set).to_dict()
    truth = test.groupby(user_col)[item_col].agg(set).to_dict()
    catalogue = set(train[item_col].unique())
    precisions, recalls, shown = [], [], set()
    for user, items in truth.items():
        if user not in recs:
            continue
        relevant = (items - known.get(user, set())) if exclude_known else items
        relevant &= catalogue
        if not relevant:
            continue
        top = [item for item, _ in recs[user][:n]]
        shown.update(top)
        hits = len(relevant.intersection(top))
        precisions.append(hits / n)
        recalls.append(hits / len(relevant))
    return {
        "precision": float(np.mean(precisions)) if precisions else 0.0,
        "recall": float(np.mean(recalls)) if recalls else 0.0,
        "coverage": len(shown) / len(catalogue) if catalogue else 0.0,
        "users": len(precisions),
    }
