"""Examples -> question groups for multi-passage training: a question with its own paragraph and the
passages a retriever hands the reader beside it, whose windows are trained together so that a span's
score means the same in every passage (shared normalisation, Clark & Gardner 2018, "Simple and
Effective Multi-Paragraph Reading Comprehension", §3.3), and "none of these answers it" is learned on
the passages where docqa decides it.

A group's first example is the question's own paragraph with its answer; the others are the paragraphs
BM25 ranks first for the question's words (its article's and other articles'), less any that holds the
answer, as unanswerable examples (source "beside"). In a share of the groups (`ABSENT_SHARE`) the own
paragraph is left out: the question meets only passages that do not answer it, as an off-topic
question meets a corpus.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from docqa.train.data import Example
from docqa.train.unanswerable import ParagraphSearch, paragraphs_by_article

# Of the groups, the share that leaves out the question's own paragraph: about the share of generated
# negatives the shipped reader was trained with (0.35 of the questions, `--negatives`).
ABSENT_SHARE = 0.25
# BM25 candidates looked at for a group's passages beside the question's paragraph.
SEARCH_DEPTH = 20


def passage_groups(examples: Sequence[Example], beside: int, count: int, seed: int) -> list[tuple[Example, ...]]:
    """`count` groups (fewer when there are fewer answerable examples), each an answerable example
    sampled from `examples` followed by up to `beside` unanswerable examples of the same question on the
    paragraphs BM25 ranks first for it; in ABSENT_SHARE of them the answerable example is left out.
    A group without a paragraph beside its question's is not made. Deterministic for a seed."""
    rng = random.Random(seed)
    answerable = [e for e in examples if e.answerable]
    chosen = rng.sample(answerable, min(len(answerable), count))
    search = ParagraphSearch(paragraphs_by_article(examples))
    groups = []
    for example in chosen:
        found = search.ranked(example, SEARCH_DEPTH)[:beside]
        if not found:
            continue
        others = tuple(
            Example(f"{example.id}:beside{n}", example.question, text, None, None, example.group, "beside")
            for n, text in enumerate(found)
        )
        absent = rng.random() < ABSENT_SHARE
        groups.append(others if absent else (example, *others))
    return groups
