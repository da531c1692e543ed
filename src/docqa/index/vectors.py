"""Unit vectors -> a FAISS index searched by inner product: exact (IndexFlatIP) up to
EXACT_SEARCH_LIMIT passages, an HNSW graph past it, with the parameters each kind needs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import faiss
import numpy as np

from docqa.settings import EXACT_SEARCH_LIMIT, VectorSearch

# HNSW (Malkov & Yashunin, 2018, arXiv:1603.09320): M links per vector, 2M on the ground layer.
# hnswlib's ALGO_PARAMS.md: M 12-48 suits most uses, 48-64 high-dimensional data at high recall. At
# 100,000 vectors here (bench.random_unit_vectors), M 48 or efConstruction 256 bought less recall per
# millisecond of search than a larger efSearch over M 32 and efConstruction 128, and built 1.5 and
# 2.5 times slower. The graph costs 2 * 32 * 4 = 256 bytes per vector beside the vector's 1,536.
HNSW_M = 32


HNSW_EF_CONSTRUCTION = 128


@dataclass(frozen=True)
class VectorIndexSpec:
    """How the vectors are searched: `flat` (exact), or `hnsw` with `m` links per vector and
    `ef_construction` / `ef_search` candidates kept while building / searching (None for flat)."""

    kind: VectorSearch
    m: int | None = None
    ef_construction: int | None = None
    ef_search: int | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_json(cls, data: object) -> "VectorIndexSpec":
        """The spec of a manifest's `vectors` object; raises ValueError when it is not one."""
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ValueError(f"vectors holds {json.dumps(data)[:60]}")
        kind = VectorSearch(data.get("kind"))
        numbers = {name: data.get(name) for name in ("m", "ef_construction", "ef_search")}
        valid = (all(v is None for v in numbers.values()) if kind is VectorSearch.FLAT else
                 kind is VectorSearch.HNSW and all(isinstance(v, int) and v > 0 for v in numbers.values()))
        if not valid:
            raise ValueError(f"vectors holds {json.dumps(data)[:60]}")
        return cls(kind, **numbers)


FLAT = VectorIndexSpec(VectorSearch.FLAT)


def hnsw_ef_search(vectors: int) -> int:
    """Candidates an HNSW search keeps: 64 up to 10,000 vectors, then in step with (vectors / 10,000)^0.6,
    rounded up to a multiple of 32 (128 at 30,000, 256 at 100,000, 1,024 at 1,000,000). On
    bench.random_unit_vectors with M 32 and efConstruction 128 that held recall@10 at 0.975, 0.977 and
    0.975 for 10,000, 30,000 and 100,000 vectors: at a fixed efSearch the misses grew almost in step
    with the size, and doubling efSearch cut them by 2.6."""
    wanted = 64 * max(1.0, vectors / 10_000) ** 0.6
    return 32 * math.ceil(wanted / 32 - 1e-9)


def vector_index_spec(vectors: int, choice: VectorSearch) -> VectorIndexSpec:
    """The index for `vectors` passages: `choice`, where `auto` is flat up to EXACT_SEARCH_LIMIT."""
    if choice is VectorSearch.FLAT or (choice is VectorSearch.AUTO and vectors <= EXACT_SEARCH_LIMIT):
        return FLAT
    return VectorIndexSpec(VectorSearch.HNSW, HNSW_M, HNSW_EF_CONSTRUCTION, hnsw_ef_search(vectors))


def make_vector_index(vectors: np.ndarray, spec: VectorIndexSpec) -> faiss.Index:
    """A FAISS inner-product index of `spec`'s kind holding `vectors` (float32, unit rows), in order."""
    dim = int(vectors.shape[1])
    if spec.kind is VectorSearch.HNSW:
        index = faiss.IndexHNSWFlat(dim, spec.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec.ef_construction
        index.hnsw.efSearch = spec.ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search_vectors(index: faiss.Index, spec: VectorIndexSpec, queries: np.ndarray, k: int,
                   among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, positions), each (len(queries), k), best first; position -1 where fewer were found.
    `among`: only these positions (int64) are searched."""
    queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, index.d)
    selection = {} if among is None else {"sel": faiss.IDSelectorBatch(np.ascontiguousarray(among, dtype=np.int64))}
    if spec.kind is VectorSearch.HNSW:
        # FAISS keeps max(efSearch, k) candidates anyway, but its recall is erratic below k (faiss#1244).
        return index.search(queries, k, params=faiss.SearchParametersHNSW(efSearch=max(spec.ef_search, k), **selection))
    return index.search(queries, k, params=faiss.SearchParameters(**selection)) if selection else index.search(queries, k)


def _flat(vectors: faiss.Index) -> faiss.Index:
    # HNSW keeps the vectors themselves in a flat index of its own.
    return faiss.downcast_index(vectors.storage) if isinstance(vectors, faiss.IndexHNSW) else vectors


def all_vectors(vectors: faiss.Index) -> np.ndarray:
    """float32 array (ntotal, dim): every vector a flat or HNSW index holds, in order."""
    flat = _flat(vectors)
    return flat.reconstruct_n(0, flat.ntotal).astype(np.float32).reshape(-1, flat.d)


# How far from length 1 a stored vector may be (the embedder writes unit vectors; bf16 ones are within
# 1e-3), and how many are checked at once, so that the check holds one chunk in memory, not a copy of all.
UNIT_TOLERANCE = 0.01
CHECK_CHUNK = 65_536


def first_bad_vector(vectors: faiss.Index) -> int | None:
    """The position of the first vector that is not of unit length (NaN, or bytes damaged in place:
    a file of the right size with other bytes), or None when every one is."""
    flat = _flat(vectors)
    for start in range(0, flat.ntotal, CHECK_CHUNK):
        chunk = flat.reconstruct_n(start, min(CHECK_CHUNK, flat.ntotal - start)).reshape(-1, flat.d)
        with np.errstate(all="ignore"):
            squares = np.einsum("ij,ij->i", chunk, chunk)  # squared lengths, within 2 x UNIT_TOLERANCE of 1
        bad = np.flatnonzero(~(np.abs(squares - 1.0) <= 2 * UNIT_TOLERANCE))  # NaN compares false
        if bad.size:
            return start + int(bad[0])
    return None
