"""Examples -> the same examples, some of their questions written as search-box queries (lower case, no
"?": `text.as_query`), the way Natural Questions' queries are typed.

SQuAD's questions, and the unanswerable ones generated from them, are over nine tenths of the training
examples and all end with a "?"; NQ's queries, answerable all, have none. The reader so learnt "no
answer" on questions, and kept a sure span for a typed query that the documents do not answer (read
again as a question, the same query was declined far more often; docqa now decides such queries by how
near the documents come, index/search.OFF_TOPIC, and their own bar, read/trained.QUERY_BAR). Written as
queries, a share of SQuAD's answerable and unanswerable questions teach both on the typed form.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from docqa.text import as_query
from docqa.train.data import Example


def typed_as_queries(examples: Sequence[Example], share: float, seed: int,
                     groups: Sequence[int] | None = None) -> list[Example]:
    """`examples` with the questions of about `share` of them written as queries. With `groups` (one
    number per example, -1 for an example of no group) every example of a group is written alike, as they
    ask one question. Deterministic for a seed; the examples keep their order and everything but the
    question."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the share of questions written as queries must lie in [0, 1], not {share}")
    rng = random.Random(seed)
    chosen: dict[int, bool] = {}
    typed = []
    for k, example in enumerate(examples):
        group = -1 if groups is None else groups[k]
        if group < 0:
            query = rng.random() < share
        else:
            query = chosen.setdefault(group, rng.random() < share)
        typed.append(replace(example, question=as_query(example.question)) if query else example)
    return typed
