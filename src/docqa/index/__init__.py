"""Passages and vectors -> an index on disk -> hits: building, storing and searching.

    index/build.py     corpus -> a new index folder, embedding only what changed; the one place that builds
    shards.py    one shard's passages and vectors (a build is one shard or several)
    cluster.py   shards built on a Ray cluster (`docqa index --ray`)
    manifest.py  what an index holds and was built with; whether it is out of date; the build plan
    store.py     the index folder: passages as JSON lines, loading, the build lock, writing a build
    vectors.py   FAISS: exact (flat) or HNSW search over unit vectors
    lexical.py   BM25 scores stored per word (bm25s, Snowball stems)
    search.py    question -> hits: BM25 and dense search fused

Heavy dependencies: faiss-cpu, bm25s, PyStemmer, numpy (and Ray for cluster.py only).
"""
