"""Scored evaluation items computed by hand, shared by the tests of scoring, report and render."""

from __future__ import annotations

from docqa.evaluation.items import EvalItem
from docqa.evaluation.scoring import ItemResult, Prediction, score_item


def result(answers, answer, candidate, confidence, passages=(), seconds=1.0, **extra) -> ItemResult:
    """One item scored from a literal reply: its answer after the threshold, its best candidate and
    confidence, the retrieved passages' texts."""
    item = EvalItem(f"q{len(answers)}-{candidate}", "Question?", tuple(answers), extra=extra)
    reply = {"question": item.question, "answer": answer, "confidence": confidence, "source": None, "quote": None,
             "passages": [{"text": text} for text in passages]}
    return score_item(item, Prediction.from_reply(item, reply, candidate, confidence, seconds))


def five() -> list[ItemResult]:
    """Answered with threshold 0.3: two right, one partly, one retrieval miss, one wrong answer."""
    return [
        result(["December 2006"], "December 2006", "December 2006", 0.9,
               ["Nothing.", "In December 2006 Serbia joined."], 1.0, style="verbatim"),
        result(["KFOR"], "the KFOR force", "the KFOR force", 0.5, ["KFOR stays."], 2.0, style="verbatim"),
        result(["2009"], None, "2008", 0.2, ["nothing here"], 3.0, style="paraphrase"),
        result([], None, "Belgrade", 0.1, ["Belgrade."], 4.0),
        result([], "Belgrade", "Belgrade", 0.6, ["Belgrade."], 10.0, style="paraphrase"),
    ]
