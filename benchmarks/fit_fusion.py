"""Fit the fusion of dense and BM25 rankings on training questions (not a test; issue #32, item 3).

SQuAD training articles (never the last --held-out ones, which `docqa train-reader` validates on and
benchmarks/heldout_corpus.py makes a corpus of) and Natural Questions training titles (never the last
--held-out-titles) become two corpora, indexed by docqa as a user's would be. For every question, the
dense and the BM25 rankings (50 deep, as index/search.py takes them) are kept once; then every dense
weight of the grid is scored on those rankings without searching again: recall@1, recall@5 and MRR of
the first passage that holds the answer, by kind of question ("question": written as a question, with
a capital or a "?"; "keywords": lower-case words without a "?", as people type into a search box).

    .venv/bin/python benchmarks/fit_fusion.py --squad ../shared/data/squad-v1.1-train.json.gz \\
        --nq ../shared/data/nq-qed-train.jsonl.gz --out /tmp/fusion

`--check DIR --file FILE` (repeatable, paired) scores the grid on already indexed corpora instead (the
held-out ones, the repository's sets), to see the fitted weights hold where they were not fitted.
Write the output outside the repository: the data's licence travels with it.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heldout_corpus import write

from docqa.embed.embedder import Embedder
from docqa.evaluation.items import load_eval_file
from docqa.evaluation.metrics import contains_answer
from docqa.index.build import build_index
from docqa.index.search import CANDIDATES, Retriever, fuse
from docqa.index.store import load_index
from docqa.settings import Settings
from docqa.text import query_kind
from docqa.train.data import load_nq, load_squad, split_by_group

GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0)


def rankings(index_dir: Path, corpus: Path, file: Path, embedder: Embedder) -> list[dict]:
    """Each answerable question's kind, its dense and BM25 rankings, and the passages holding its answer."""
    settings = Settings(corpus=corpus, index=index_dir)
    if not (index_dir / "CURRENT").exists():
        build_index(settings, embedder)
    index = load_index(index_dir)
    retriever = Retriever(index)
    items, _ = load_eval_file(file)
    answerable = [item for item in items if item.answers]
    vectors = embedder.encode([item.question for item in answerable])
    out = []
    for item, vector in zip(answerable, vectors):
        dense = index.search(vector, CANDIDATES)
        lexical = retriever.lexical(item.question, CANDIDATES)
        seen = {i for i, _ in dense} | {i for i, _ in lexical}
        gold = {i for i in seen if contains_answer(index.passages[i].text, item.answers)}
        out.append({"kind": query_kind(item.question), "dense": dense, "lexical": lexical, "gold": gold})
    return out


def score(questions: Sequence[dict], weight: float | None) -> dict[str, float]:
    """recall@1, recall@5 and MRR (over the top 5) of fusion at `weight`; of dense search alone for None."""
    ranks = []
    for q in questions:
        order = [i for i, _ in q["dense"][:5]] if weight is None else fuse(q["dense"], q["lexical"], 5, weight).order
        ranks.append(next((r for r, i in enumerate(order, 1) if i in q["gold"]), None))
    n = len(ranks) or 1
    return {"n": len(ranks), "r@1": sum(r == 1 for r in ranks) / n, "r@5": sum(r is not None for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n}


def table(name: str, questions: Sequence[dict]) -> None:
    for kind in ("question", "keywords"):
        chosen = [q for q in questions if q["kind"] == kind]
        if not chosen:
            continue
        print(f"\n{name}, {kind} kind ({len(chosen)}): dense weight | recall@1 | recall@5 | MRR")
        for weight in (*GRID, None):
            s = score(chosen, weight)
            print(f"  {'dense alone' if weight is None else f'{weight:6.1f}'} | {s['r@1']:.3f} | {s['r@5']:.3f} | {s['mrr']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--nq", type=Path)
    parser.add_argument("--articles", type=int, default=30, help="SQuAD training articles drawn")
    parser.add_argument("--titles", type=int, default=300, help="NQ training titles drawn")
    parser.add_argument("--held-out", type=int, default=20)
    parser.add_argument("--held-out-titles", type=int, default=150)
    parser.add_argument("--limit", type=int, default=600, help="questions per corpus at most")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--check", type=Path, action="append", default=[], help="an indexed corpus folder's parent")
    parser.add_argument("--file", type=Path, action="append", default=[])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    args = parser.parse_args()
    embedder = Embedder()
    rng = random.Random(0)
    for name, path, loader, held, drawn in (("SQuAD training articles", args.squad, load_squad, args.held_out, args.articles),
                                            ("NQ training titles", args.nq, load_nq, args.held_out_titles, args.titles)):
        if path is None:
            continue
        training, _ = split_by_group(loader(path), held)
        groups = sorted({e.group for e in training})
        chosen = set(rng.sample(groups, min(drawn, len(groups))))
        out = args.out / ("squad" if loader is load_squad else "nq")
        if not (out / "qa.jsonl").exists():
            write([e for e in training if e.group in chosen], out, args.limit)
        table(name, rankings(out / "index", out / "corpus", out / "qa.jsonl", embedder))
    for index_dir, file, corpus in zip(args.check, args.file, args.corpus):
        table(str(file), rankings(index_dir, corpus, file, embedder))


if __name__ == "__main__":
    main()
