"""Text as a person reads and types it, shared by every stage: letters without ligatures or soft hyphens
(documents are cleaned with them, questions are asked with them), the check of a question before
anything answers it, whether it was typed as a search-box query, a file name shown safely, and a
threshold and a confidence below it shown without rounding one onto the other. Standard library only."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from docqa.errors import BadQuestion
from docqa.settings import MAX_QUESTION_CHARS

# Latin ligatures that PDF text extraction passes on as single characters ("Oﬃce", "ﬁne-tuned"): the
# tokenizer knows no "ﬃ" (the word becomes [UNK]), keyword search no "oﬃce", and an answer copied with
# one matches no typed text. Each is written out as its letters (Unicode's compatibility decomposition).
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\ufb05": "st", "\ufb06": "st"})
# A soft hyphen marks where a word may break. Invisible in the middle of a line, it is dropped; at the end
# of one it is the break itself, and the word's halves are joined without it ("compu\xad" + "tation").
SOFT_HYPHEN = "\u00ad"


# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Myanmar, Khmer), and the
# ideographic punctuation between them: a long run of them is text, not a blob, and each character counts
# as a word where passages are measured. A character class body, for regular expressions.
UNSPACED = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f"
            "\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f")


def plain_letters(text: str) -> str:
    """`text` with its Latin ligatures written out as letters and its soft hyphens dropped: what a
    reader sees and types ("Oﬃce" -> "Office"). Documents are cleaned with it, and so are questions,
    which may be pasted from a PDF."""
    return text.translate(LIGATURES).replace(SOFT_HYPHEN, "")


def check_question(question: str, what: str = "The question") -> str:
    """The question stripped of surrounding whitespace; raises BadQuestion when it cannot be asked, naming
    it as `what` ("An earlier question (history)" for one of a conversation's)."""
    text = "".join(ch for ch in plain_letters(question) if ch.isprintable() or ch in "\t\n").strip()
    if not text:
        raise BadQuestion(f"{what} is empty. Type a question about your documents.")
    if len(text) > MAX_QUESTION_CHARS:
        raise BadQuestion(
            f"{what} is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask a shorter question."
        )
    return text


def query_kind(question: str) -> str:
    """"keywords" for lower-case words without a "?" (as people type into a search box: "who won jhalak
    dikhlaja 2017"), else "question"."""
    text = question.strip()
    return "keywords" if not text.endswith("?") and text == text.lower() else "question"


def as_query(question: str) -> str:
    """`question` as typed into a search box: lower case, without its closing "?" ("Who wrote Hamlet?" ->
    "who wrote hamlet"); `query_kind` reads the result as "keywords"."""
    return question.strip().rstrip("?").strip().lower()


def time_text(stamp: str) -> str:
    """An ISO time as a person reads it, to the minute in UTC ("2026-11-27T00:08:20+00:00" -> "2026-11-27
    00:08 UTC"); the text as it is when it is no such time."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is None:
        return f"{when:%Y-%m-%d %H:%M}"
    return f"{when.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def size_text(size: int | None) -> str:
    """A file's size as a person reads it: '46 B', '8.1 kB', '12.3 MB' ('' when unknown)."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1000:,.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:,.1f} MB"


def _decimals(threshold: float) -> int:
    return next((d for d in (2, 3) if math.isclose(threshold, round(threshold, d), abs_tol=1e-9)), 4)


def threshold_text(threshold: float) -> str:
    """A no-answer threshold with two decimals, or as many as it needs up to four: '0.50', '0.995', '0.9995'."""
    return f"{threshold:.{_decimals(threshold)}f}"


def confidence_text(confidence: float, threshold: float) -> str:
    """A confidence with the decimals of `threshold`, rounded down, so that it reads as reaching the
    threshold exactly when it does: 0.9949 against 0.995 is '0.994', not '0.995'; 0.9951 is '0.995'."""
    digits = _decimals(threshold)
    return f"{math.floor(confidence * 10 ** digits + 1e-9) / 10 ** digits:.{digits}f}"
