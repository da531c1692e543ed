"""Held-out SQuAD articles (and Natural Questions paragraphs) -> a docqa corpus and evaluation file.

The articles `docqa train-reader` keeps apart for validation (the last N of the SQuAD file, the last
titles of the NQ file) become one corpus, a text file per article, and their questions a JSON-lines
evaluation file, so that `docqa eval` scores the reader with retrieval over all of them:

    python benchmarks/heldout_corpus.py --squad ../shared/data/squad-v1.1-train.json.gz --out /tmp/squad-heldout
    docqa eval /tmp/squad-heldout/qa.jsonl --corpus /tmp/squad-heldout/corpus --index /tmp/squad-heldout/index

`--swapped N` adds N unanswerable questions in the manner of SQuAD 2.0's: a held-out question with one of
its names or numbers swapped for another of the same kind from its article that its paragraph never
mentions (docqa.train.unanswerable.swapped_question), so that the corpus no longer answers it although it reads as
if it did. With `--limit N --swapped N` (and no `--absent`), half the questions are unanswerable, as in
SQuAD 2.0.

`--absent N` leaves N of the articles (titles) out of the corpus and keeps all their questions, now
unanswerable (`--limit` and `--swapped` count only the articles kept): questions about something the documents do not cover at all, as a user asks them. With
`--nq`, these are search-engine queries that the corpus does not answer.

Write the output outside the repository: the data's licence travels with it, and it is never committed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from docqa.train.data import Example, load_nq, load_squad, split_by_group
from docqa.train.unanswerable import paragraphs_by_article, swapped_question


def safe_name(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", title).strip("_")[:80] or "article"


def swapped(examples: list[Example], count: int, seed: int = 0) -> list[Example]:
    """Up to `count` unanswerable questions made by `swapped_question` from answerable `examples`."""
    rng = random.Random(seed)
    articles = paragraphs_by_article(examples)
    made: list[Example] = []
    for example in rng.sample(examples, len(examples)):
        if len(made) == count:
            break
        negative = swapped_question(example, "\n".join(articles[example.group]), rng)
        if negative is not None:
            made.append(negative)
    return made


def absent_groups(examples: list[Example], count: int, seed: int = 0) -> set[str]:
    """`count` of the examples' articles (groups), drawn at random, to leave out of the corpus."""
    groups = sorted({example.group for example in examples})
    return set(random.Random(seed).sample(groups, min(count, len(groups))))


def write_corpus(examples: list[Example], corpus: Path) -> int:
    """corpus/<article>.txt for each article of `examples`: its title, then its paragraphs, blank-line
    separated, each once; returns how many articles."""
    corpus.mkdir(parents=True, exist_ok=True)
    paragraphs: dict[str, list[str]] = {}
    for example in examples:
        texts = paragraphs.setdefault(example.group, [])
        if example.context not in texts:
            texts.append(example.context)
    for group, texts in paragraphs.items():
        (corpus / f"{safe_name(group)}.txt").write_text(f"{group.replace('_', ' ')}\n\n" + "\n\n".join(texts) + "\n",
                                                        encoding="utf-8")
    return len(paragraphs)


def write(examples: list[Example], out: Path, limit: int | None, unanswerable: int = 0,
          absent: int = 0) -> tuple[int, int]:
    """Write corpus/<article>.txt (its paragraphs, blank-line separated) and qa.jsonl: up to `limit`
    answerable questions and `unanswerable` swapped ones, both of the articles in the corpus, then every
    question of the `absent` articles left out of it, unanswerable; returns (articles, questions)."""
    left_out = absent_groups(examples, absent)
    articles = write_corpus([e for e in examples if e.group not in left_out], out / "corpus")
    in_corpus = [e for e in examples if e.answerable and e.group not in left_out]
    answerable = in_corpus
    if limit is not None and limit < len(answerable):
        keep = set(random.Random(0).sample(range(len(answerable)), limit))
        answerable = [e for k, e in enumerate(answerable) if k in keep]
    # Swapped names come from articles the corpus holds: they must read as if it answered them.
    chosen = answerable + swapped(in_corpus, unanswerable) + [e for e in examples if e.group in left_out]
    with (out / "qa.jsonl").open("w", encoding="utf-8") as handle:
        for example in chosen:
            answers = [example.answer_text] if example.answerable and example.group not in left_out else []
            handle.write(json.dumps({"id": example.id, "question": example.question, "answers": answers,
                                     "source": example.source}, ensure_ascii=False) + "\n")
    return articles, len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, help="SQuAD-format file; its last --articles articles are used")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--nq", type=Path, help="Natural Questions (QED) file; its last --titles titles are used")
    parser.add_argument("--titles", type=int, default=150)
    parser.add_argument("--limit", type=int, default=None, help="at most this many answerable questions")
    parser.add_argument("--swapped", type=int, default=0, help="this many unanswerable questions besides")
    parser.add_argument("--absent", type=int, default=0,
                        help="leave this many articles out of the corpus; their questions become unanswerable")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    held: list[Example] = []
    if args.squad:
        held += split_by_group(load_squad(args.squad), args.articles)[1]
    if args.nq:
        held += split_by_group(load_nq(args.nq), args.titles)[1]
    articles, questions = write(held, args.out, args.limit, args.swapped, args.absent)
    print(f"{articles} documents in {args.out / 'corpus'}, {questions} questions in {args.out / 'qa.jsonl'}")


if __name__ == "__main__":
    main()
