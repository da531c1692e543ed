"""Examples -> question groups for multi-passage training: a question with its own paragraph and the
passages a retriever hands the reader beside it, whose windows are trained together so that a span's
score means the same in every passage (shared normalisation, Clark & Gardner 2018, "Simple and
Effective Multi-Paragraph Reading Comprehension", §3.3).

A group's first example is the question's own paragraph with its answer; the others are the paragraphs
BM25 ranks first for the question's words (its article's and other articles'), less any that holds the
answer, as examples of source BESIDE: their windows enter the group's shared normaliser and carry no
label of their own, so the null score is learned as before, from the question's own windows and the
generated negatives (train/unanswerable.py, which include another article's best-matching paragraph).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from docqa.train.data import BESIDE, Example
from docqa.train.unanswerable import ParagraphSearch, paragraphs_by_article

# BM25 candidates looked at for a group's passages beside the question's paragraph.
SEARCH_DEPTH = 20


def passage_groups(examples: Sequence[Example], beside: int, count: int, seed: int) -> list[tuple[Example, ...]]:
    """`count` groups (fewer when there are fewer answerable examples), each an answerable example
    sampled from `examples` followed by up to `beside` examples of the same question (source BESIDE, no
    answer) on the paragraphs BM25 ranks first for it. A group without a paragraph beside its
    question's is not made. Deterministic for a seed."""
    rng = random.Random(seed)
    answerable = [e for e in examples if e.answerable]
    chosen = rng.sample(answerable, min(len(answerable), count))
    search = ParagraphSearch(paragraphs_by_article(examples))
    groups = []
    for example in chosen:
        found = search.ranked(example, SEARCH_DEPTH)[:beside]
        if found:
            groups.append((example, *(
                Example(f"{example.id}:beside{n}", example.question, text, None, None, example.group, BESIDE)
                for n, text in enumerate(found)
            )))
    return groups
