"""KL(P || Q) of any 2D or 3D layout under one P: the one measure of t-SNE quality for every tool's output.

P is t-SNE's input similarity as attnviz, FIt-SNE and scikit-learn define it: per point a Gaussian over its
k = 3 x perplexity exact nearest neighbours whose entropy is log(perplexity) (precision by bisection over
the cosine distances 1 - cos; squared euclidean distances of unit rows are twice these, and the calibration
absorbs the factor), then P = (P_cond + P_cond^T) / 2N. Q is the Student-t kernel of the layout over all
pairs: q_ij = w_ij / Z with w_ij = 1 / (1 + |y_i - y_j|^2) and Z = sum_{i != j} w_ij, summed exactly (no
approximation of the repulsion: blocks of rows in float64).

KL(P || Q) = sum p log p - sum p log w + log Z, since P sums to 1.

Usage as a library: P = affinities(x); kl_divergence(P, y). As a script:
  /usr/bin/python3 bench/layout/kl.py POINTS.npy LAYOUT.npy [--perplexity 20]
"""
import argparse

import numpy as np
import scipy.sparse


def affinities(x, perplexity=20.0):
    """Symmetric sparse P [n, n] (CSR, sums to 1) from points x [n, d] in cosine distance."""
    from sklearn.neighbors import NearestNeighbors
    n = len(x)
    k = min(int(np.ceil(3 * perplexity)), n - 1)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
    search = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", metric="euclidean").fit(unit)
    distance, index = search.kneighbors(unit)
    # Drop each point itself (the first column unless duplicates tie with it).
    keep = index != np.arange(n)[:, None]
    keep[keep.sum(1) > k, -1] = False
    index = index[keep].reshape(n, k)
    d = (distance[keep].reshape(n, k).astype(np.float64) ** 2) / 2  # 1 - cos
    d = d - d[:, :1]  # shifted by the nearest: no underflow
    target = np.log(perplexity)
    lo, hi, beta = np.zeros(n), np.full(n, np.inf), np.ones(n)
    for _ in range(100):
        p = np.exp(-beta[:, None] * d)
        s = p.sum(1)
        entropy = np.log(s) + beta * (d * p).sum(1) / s
        if np.abs(entropy - target).max() < 1e-6:
            break
        above = entropy > target
        lo = np.where(above, beta, lo)
        hi = np.where(above, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2, (lo + hi) / 2)
    p = np.exp(-beta[:, None] * d)
    p /= p.sum(1, keepdims=True)
    conditional = scipy.sparse.csr_matrix((p.ravel(), index.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    joint = (conditional + conditional.T).tocsr() / (2 * n)
    joint.sum_duplicates()
    return joint


def log_z(y, block=1024):
    """log of Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2), summed exactly in float64 (centred, so the expanded
    |a|^2 + |b|^2 - 2 a.b loses nothing that matters next to the 1 in the kernel)."""
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean(0)
    norms = (y * y).sum(1)
    total = 0.0
    for start in range(0, len(y), block):
        part = y[start:start + block]
        d2 = norms[start:start + block, None] + norms[None, :] - 2 * part @ y.T
        np.maximum(d2, 0, out=d2)
        d2 += 1
        np.reciprocal(d2, out=d2)
        total += d2.sum() - len(part)  # the diagonal's w_ii = 1
    return np.log(total)


def kl_divergence(p, y):
    """KL(P || Q) for P from affinities() and a layout y [n, 2 or 3]."""
    y = np.asarray(y, dtype=np.float64)
    coo = p.tocoo()
    v = coo.data.astype(np.float64)
    d2 = ((y[coo.row] - y[coo.col]) ** 2).sum(1)
    return float((v * np.log(v)).sum() + (v * np.log1p(d2)).sum() + log_z(y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("points")
    parser.add_argument("layout")
    parser.add_argument("--perplexity", type=float, default=20.0)
    args = parser.parse_args()
    print(f"{kl_divergence(affinities(np.load(args.points), args.perplexity), np.load(args.layout)):.4f}")


if __name__ == "__main__":
    main()
