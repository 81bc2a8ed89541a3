"""Exact k-nearest-neighbour search by inner product, computed tile by tile so memory stays bounded.

For L2-normalised float32 vectors the inner product is the cosine similarity. The similarity matrix
is never held whole: each (query block x index block) tile is one matrix product of at most
``block_size x block_size`` floats, its top-k per row is taken, and the per-tile winners are merged.
Everything runs on the device the tensors are on (a GPU when they are there).

Order and ties are deterministic: neighbours are sorted by score descending and, among equal
scores, by index ascending (the lower index wins a tie at the k-th place, too). This matches a
stable sort of each full similarity row, which is what the tests compare against.

``mutual_knn`` computes both directions (x -> y and y -> x) from the same tiles, so BUCC mining
pays for the matrix products once instead of twice.

faiss is an optional accelerator for ``knn`` only (``backend="faiss"`` or ``"auto"``); it is never
required, and its order among exactly tied scores is faiss's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from xbench.errors import UserError

# 2048 x 2048 float32 = 16 MiB per tile: large enough that the matrix product dominates the top-k,
# small enough that a tile and its scratch stay cache-friendly (measured best on a 2-core CPU).
DEFAULT_BLOCK_SIZE = 2048
BACKENDS = ("torch", "faiss", "auto")


@dataclass(frozen=True)
class Neighbours:
    """The k best matches of each query: ``scores`` [n, k] float32 (each row descending) and
    ``indices`` [n, k] int64 into the searched set, on the inputs' device."""

    scores: torch.Tensor
    indices: torch.Tensor

    @property
    def k(self) -> int:
        return int(self.scores.shape[1])


def tile_bytes(block_size: int) -> int:
    """Bytes of one similarity tile: the memory the search adds on top of its inputs and outputs
    (plus top-k scratch of the same order)."""
    return block_size * block_size * 4


def knn(queries: torch.Tensor, index: torch.Tensor, k: int, *, block_size: int = DEFAULT_BLOCK_SIZE,
        backend: str = "torch") -> Neighbours:
    """The ``k`` rows of ``index`` with the largest inner product with each row of ``queries``.

    ``k`` is clipped to the size of ``index`` (as XTREME does). ``backend``: ``"torch"`` (default,
    exact with deterministic ties), ``"faiss"`` (requires faiss; CPU, exact, faiss's tie order) or
    ``"auto"`` (faiss when importable and the tensors are on the CPU, else torch).
    """
    _check_pair(queries, index, k, block_size)
    k = min(k, index.shape[0])
    if _use_faiss(backend, queries):
        return _faiss_knn(queries, index, k)
    if k == 1 and index.shape[0] > 1:
        return _nearest_distinct(queries, index, block_size)
    return _tiled_knn(queries, index, k, block_size)


def _tiled_knn(queries: torch.Tensor, index: torch.Tensor, k: int, block_size: int) -> Neighbours:
    with torch.no_grad():
        tiles = _TileBuffer(block_size, queries.dtype, queries.device)
        scores, indices = [], []
        for q0 in range(0, queries.shape[0], block_size):
            best = _RunningTopK(min(block_size, queries.shape[0] - q0), k, queries.device)
            query_block = queries[q0:q0 + block_size]
            for i0 in range(0, index.shape[0], block_size):
                tile = tiles.product(query_block, index[i0:i0 + block_size])
                best.merge(*_tile_topk(tile, k, offset=i0))
            scores.append(best.scores)
            indices.append(best.indices)
        return Neighbours(torch.cat(scores), torch.cat(indices))


def mutual_knn(x: torch.Tensor, y: torch.Tensor, k: int, *,
               block_size: int = DEFAULT_BLOCK_SIZE) -> tuple[Neighbours, Neighbours]:
    """``(knn(x, y, k), knn(y, x, k))`` computed from one pass over the tiles of ``x @ y.T``.

    Each tile's row top-k feeds the x -> y neighbours and its columns feed the y -> x neighbours,
    so the matrix products are done once. Results equal the two separate ``knn`` calls exactly
    (same order, same tie rule); ``k`` is clipped per direction to the size of the searched side.
    """
    _check_pair(x, y, k, block_size)
    k_xy, k_yx = min(k, y.shape[0]), min(k, x.shape[0])
    with torch.no_grad():
        tiles = _TileBuffer(block_size, x.dtype, x.device)
        backward = _RunningTopK(y.shape[0], k_yx, x.device)
        fwd_scores, fwd_indices = [], []
        for x0 in range(0, x.shape[0], block_size):
            x_block = x[x0:x0 + block_size]
            forward = _RunningTopK(x_block.shape[0], k_xy, x.device)
            for y0 in range(0, y.shape[0], block_size):
                tile = tiles.product(x_block, y[y0:y0 + block_size])
                forward.merge(*_tile_topk(tile, k_xy, offset=y0))
                _merge_columns(backward, tile, x0=x0, y0=y0)
            fwd_scores.append(forward.scores)
            fwd_indices.append(forward.indices)
        return (Neighbours(torch.cat(fwd_scores), torch.cat(fwd_indices)),
                Neighbours(backward.scores, backward.indices))


def _merge_columns(best: _RunningTopK, tile: torch.Tensor, *, x0: int, y0: int) -> None:
    """Merge the columns of ``tile`` (rows = x indices from ``x0``) into ``best`` (rows = y from ``y0``).

    A column top-k on a row-major tile needs a transposed copy, which costs a third of the matrix
    product. Once every column holds k entries, only values above a column's current k-th best
    can enter it (equal values lose the tie to the lower indices already kept), and after the
    first blocks those are few: they are found with one comparison and merged directly.
    """
    n_cols, k = tile.shape[1], best.k
    kth = best.scores[y0:y0 + n_cols, k - 1]
    above = tile > kth
    n_hits = int(torch.count_nonzero(above))  # (a bool .sum() is ~50x slower on CPU)
    if n_hits == 0:
        return
    if n_hits > 4 * k * n_cols:  # first block (k-th best still -inf) or unusually many candidates
        best.merge(*_tile_topk(tile.T.contiguous(), k, offset=x0), rows=slice(y0, y0 + n_cols))
        return
    rows, cols = above.nonzero(as_tuple=True)  # row-major: rows ascending within a column
    scores = tile[rows, cols]
    scores, order = scores.sort(descending=True, stable=True)
    rows, cols = rows[order], cols[order]
    cols, order = cols.sort(stable=True)  # now grouped by column, score desc, row asc
    rows, scores = rows[order], scores[order]
    counts = torch.bincount(cols, minlength=n_cols)
    rank = torch.arange(cols.shape[0], device=tile.device) - (torch.cumsum(counts, 0) - counts)[cols]
    keep = rank < k
    rows, cols, scores, rank = rows[keep], cols[keep], scores[keep], rank[keep]
    touched = torch.nonzero(counts, as_tuple=True)[0]
    slot = torch.full((n_cols,), -1, dtype=torch.int64, device=tile.device)
    slot[touched] = torch.arange(touched.shape[0], device=tile.device)
    new_scores = torch.full((touched.shape[0], k), float("-inf"), dtype=torch.float32, device=tile.device)
    new_indices = torch.full((touched.shape[0], k), -1, dtype=torch.int64, device=tile.device)
    new_scores[slot[cols], rank] = scores.to(torch.float32)
    new_indices[slot[cols], rank] = rows + x0
    best.merge(new_scores, new_indices, rows=touched + y0)


class _TileBuffer:
    """One reusable tile of memory for the matrix products (no allocation per tile)."""

    def __init__(self, block_size: int, dtype: torch.dtype, device: torch.device):
        self.flat = torch.empty(block_size * block_size, dtype=dtype, device=device)

    def product(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        out = self.flat[:a.shape[0] * b.shape[0]].view(a.shape[0], b.shape[0])
        return torch.mm(a, b.T, out=out)


def _tile_topk(tile: torch.Tensor, k: int, *, offset: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top ``k`` of each row of ``tile`` ordered by (score desc, column asc); columns + ``offset``."""
    n_cols = tile.shape[1]
    k = min(k, n_cols)
    if k < n_cols:
        # One extra value tells whether the k-th place is tied with an element left out; only then
        # is topk's pick among equals arbitrary, and those rows get an exact stable sort instead.
        scores, cols = tile.topk(k + 1, dim=1)
        tied = scores[:, k - 1] == scores[:, k]
        scores, cols = scores[:, :k].contiguous(), cols[:, :k].contiguous()
        if bool(tied.any()):
            rows = tied.nonzero().squeeze(1)
            exact_scores, exact_cols = torch.sort(tile[rows], dim=1, descending=True, stable=True)
            scores[rows] = exact_scores[:, :k]
            cols[rows] = exact_cols[:, :k]
    else:
        scores, cols = torch.sort(tile, dim=1, descending=True, stable=True)
    # topk orders equal scores arbitrarily: order by column, then stably by score.
    cols, by_col = cols.sort(dim=1)
    scores = scores.gather(1, by_col)
    scores, by_score = scores.sort(dim=1, descending=True, stable=True)
    return scores, cols.gather(1, by_score) + offset


class _RunningTopK:
    """The best ``k`` (score desc, index asc) seen so far for each of ``n_rows`` rows.

    Candidates must arrive in increasing index order (tile by tile): then a stable sort of
    [kept, new] resolves every tie in favour of the lower index without comparing indices.
    """

    def __init__(self, n_rows: int, k: int, device: torch.device):
        self.k = k
        # -inf placeholders lose to every finite similarity and are gone after the first tile.
        self.scores = torch.full((n_rows, k), float("-inf"), dtype=torch.float32, device=device)
        self.indices = torch.full((n_rows, k), -1, dtype=torch.int64, device=device)

    def merge(self, scores: torch.Tensor, indices: torch.Tensor, rows: slice | torch.Tensor = slice(None)) -> None:
        all_scores = torch.cat([self.scores[rows], scores.to(torch.float32)], dim=1)
        all_indices = torch.cat([self.indices[rows], indices], dim=1)
        all_scores, order = all_scores.sort(dim=1, descending=True, stable=True)
        self.scores[rows] = all_scores[:, :self.k]
        self.indices[rows] = all_indices.gather(1, order[:, :self.k])


def _nearest_distinct(queries: torch.Tensor, index: torch.Tensor, block_size: int) -> Neighbours:
    """The nearest row, searching each distinct row of ``index`` once: a matrix product can give two
    bitwise-equal rows scores that differ in the last bit (they sit in differently shaped parts of the
    kernel), so an exact tie between duplicates would otherwise depend on where they are. Distinct
    rows keep the order of their first occurrence, so every tie still goes to the lowest index."""
    with torch.no_grad():
        distinct, inverse = torch.unique(index, dim=0, return_inverse=True)
        positions = torch.arange(index.shape[0], device=index.device)
        first = torch.full((distinct.shape[0],), index.shape[0], dtype=torch.long, device=index.device)
        first = first.scatter_reduce(0, inverse, positions, reduce="amin")
        order = torch.argsort(first)
    best = _tiled_knn(queries, distinct[order].contiguous(), 1, block_size)
    return Neighbours(best.scores, first[order][best.indices])


def _check_pair(a: torch.Tensor, b: torch.Tensor, k: int, block_size: int) -> None:
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"knn needs 2-D tensors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"knn needs equal dimensions, got {a.shape[1]} and {b.shape[1]}")
    if a.device != b.device or a.dtype != b.dtype:
        raise ValueError(f"knn needs one device and dtype, got {a.device}/{a.dtype} and {b.device}/{b.dtype}")
    if b.shape[0] == 0 or a.shape[0] == 0:
        raise ValueError("knn needs at least one query and one indexed vector")
    if k < 1 or block_size < 1:
        raise ValueError(f"knn needs k >= 1 and block_size >= 1, got k={k}, block_size={block_size}")


def _use_faiss(backend: str, queries: torch.Tensor) -> bool:
    if backend not in BACKENDS:
        raise UserError(f"retrieval: unknown kNN backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return False
    try:
        import faiss  # noqa: F401
    except ImportError:
        if backend == "faiss":
            raise UserError("retrieval: kNN backend 'faiss' requested but faiss is not installed "
                            "(pip install faiss-cpu, or use backend 'torch')") from None
        return False
    return backend == "faiss" or queries.device.type == "cpu"


def _faiss_knn(queries: torch.Tensor, index: torch.Tensor, k: int) -> Neighbours:
    """Exact inner-product search with a flat faiss index (CPU)."""
    import faiss
    import numpy as np

    flat = faiss.IndexFlatIP(index.shape[1])
    flat.add(np.ascontiguousarray(index.detach().cpu().numpy(), dtype=np.float32))
    scores, indices = flat.search(np.ascontiguousarray(queries.detach().cpu().numpy(), dtype=np.float32), k)
    return Neighbours(torch.from_numpy(scores).to(queries.device),
                      torch.from_numpy(indices).to(torch.int64).to(queries.device))
