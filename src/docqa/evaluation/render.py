"""A report -> text: the short table `docqa eval` prints and report.md (figures, settings, the
threshold, the misses with their reason, the comparison, every question). Pure functions; Markdown
table cells are escaped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docqa.evaluation.compare import Comparison
from docqa.evaluation.items import AnswerKind, EvalItem
from docqa.evaluation.report import Report
from docqa.evaluation.scoring import RECALL_AT, Figures, ItemResult, Miss
from docqa.tables import markdown_table
from docqa.text import confidence_text, threshold_text

# The threshold table shows every tenth and, where a trained reader's threshold lies, these.
SHOWN_NEAR_ONE = (0.95, 0.98, 0.99, 0.995, 0.999)

REPORT_MD = "report.md"
CHART = "threshold.png"


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def _rows(report: Report) -> list[tuple[str, Figures]]:
    return [("all", report.overall)] + [
        (f"{name}={label}", f) for name, by in report.groups.items() for label, f in by.items()
    ]


def format_summary(report: Report, folder: Path) -> str:
    """The short table `docqa eval` prints."""
    o = report.overall
    lines = [
        f"docqa eval: {o.items} questions from {report.file} ({o.answerable} answerable, "
        f"{o.unanswerable} unanswerable)" + (f"; {_count(len(report.problems), 'malformed line')} skipped"
                                              if report.problems else ""),
        "",
        f"{'':<22}{'items':>6}{'EM':>8}{'F1':>8}",
        f"{'all':<22}{o.items:>6}{_num(o.exact):>8}{_num(o.f1):>8}",
        f"{'answerable':<22}{o.answerable:>6}{_num(o.exact_answerable):>8}{_num(o.f1_answerable):>8}",
        f"{'unanswerable':<22}{o.unanswerable:>6}{_num(o.exact_unanswerable):>8}{_num(o.f1_unanswerable):>8}",
    ]
    for name, by in report.groups.items():
        for label, f in by.items():
            lines.append(f"{name + '=' + label:<22}{f.items:>6}{_num(f.exact):>8}{_num(f.f1):>8}")
    now = report.at_threshold()
    lines += [
        "",
        f"declined correctly {_num(o.declined_correctly)} of unanswerable; "
        f"wrongly declined {_num(o.wrongly_declined)} of answerable",
        "retrieval (answerable): " + "  ".join(f"recall@{k} {_num(v)}" for k, v in o.recall.items())
        + f"  MRR {_num(o.mrr)}",
        f"latency per question: median {o.latency_median:.3f} s, p95 {o.latency_p95:.3f} s",
        f"misses: {o.miss_retrieval} retrieval{_nowhere(report)}, {o.miss_reader} reader, {o.miss_abstention} abstention",
        f"no-answer threshold {threshold_text(now.threshold)} (F1 {_num(now.f1)}); best on this file "
        f"{threshold_text(report.best.threshold)} (F1 {_num(report.best.f1)})",
    ]
    c = report.comparison
    if c is not None:
        delta = {change.name: change.delta for change in c.changes}
        right = sum(f.now_right for f in c.flips)
        lines.append(
            f"compared with {c.previous}: EM {_signed(delta.get('all.exact'))}, F1 {_signed(delta.get('all.f1'))}; "
            f"{len(c.flips)} flipped ({right} now right, {len(c.flips) - right} now wrong), "
            f"{len(c.others)} other answers without a flip" + "".join(f"; {line}" for line in _comparison_notes(c))
        )
    lines.append(f"report: {folder / REPORT_MD}")
    return "\n".join(lines)


def _nowhere(report: Report) -> str:
    """" (N in no document)" for the retrieval misses whose expected answer no document holds, else ""."""
    n = sum(r.miss is Miss.RETRIEVAL and r.prediction.record.get("expected_in_documents") is False for r in report.results)
    return f" ({n} in no document)" if n else ""


def _answer_cell(answer: str | None) -> str:
    return "*declined*" if answer is None else answer


def _expected_cell(answers: Sequence[str]) -> str:
    return "*not answerable*" if not answers else " / ".join(answers)


def render_markdown(report: Report) -> str:
    """report.md: figures, settings, threshold, misses with their reason, every question."""
    o, s = report.overall, report.settings
    rows = _rows(report)
    lines = [
        f"# docqa evaluation of {report.file}",
        "",
        f"Run at {report.created_at}: {o.items} questions, {o.answerable} answerable and {o.unanswerable} "
        "that the documents do not answer. Exact match (EM) and F1 use the official SQuAD v2.0 answer "
        "normalisation, best over the gold answers; an unanswerable question scores 1 when docqa declines."
        + (" A question whose expected answer is a sentence (`answer_kind` sentence) counts as exactly right when "
           "its answer holds the question's key words and at least half of its words are the expected sentence's "
           "(without key words: token F1 with the sentence of 0.5 or more)."
           if any(r.item.kind is AnswerKind.SENTENCE for r in report.results) else ""),
        "",
        "## Answers",
        "",
        *markdown_table(
            ["items", "n", "EM", "F1", "EM answerable", "F1 answerable", "EM unanswerable",
             "declined correctly", "wrongly declined"],
            [[label, str(f.items), _num(f.exact), _num(f.f1), _num(f.exact_answerable), _num(f.f1_answerable),
              _num(f.exact_unanswerable), _num(f.declined_correctly), _num(f.wrongly_declined)]
             for label, f in rows],
        ),
        "",
        "*declined correctly*: share of unanswerable questions docqa declined; *wrongly declined*: share "
        "of answerable ones it declined.",
        "",
        "## Retrieval and latency",
        "",
        "A passage is a hit when it contains a gold answer as whole words (both normalised, typographic "
        "quotes and dashes as ASCII ones, a hyphenated word whole or parted); answerable questions only, "
        f"over the top {s.top_k} passages.",
        "",
        *markdown_table(
            ["items", "answerable", *(f"recall@{k}" for k in RECALL_AT), "MRR", "median s", "p95 s",
             "misses: retrieval", "reader", "abstention"],
            [[label, str(f.answerable), *(_num(f.recall[k]) for k in RECALL_AT),
              _num(f.mrr), _num(f.latency_median), _num(f.latency_p95), str(f.miss_retrieval),
              str(f.miss_reader), str(f.miss_abstention)] for label, f in rows],
        ),
        "",
        "## Settings",
        "",
        f"- embedding model: {s.model}",
        f"- reader: {s.reader}",
        f"- top-k: {s.top_k}",
        f"- no-answer threshold: {threshold_text(s.threshold)}"
        + (f" (from {s.calibration})" if s.calibration else ""),
        f"- index: {s.index.get('passages')} passages from {_count(len(s.index.get('documents', {})), 'document')}, "
        f"built {s.index.get('built_at')} with {s.index.get('model')}, split {s.index.get('split')}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in dict(s.index.get('versions', {})).items())}",
        "",
    ]
    lines += _threshold_section(report)
    lines += _misses_section(report)
    if report.comparison is not None:
        lines += _comparison_section(report.comparison)
    lines += _questions_section(report)
    if report.problems:
        lines += ["## Malformed lines (skipped)", "", *(f"- {p}" for p in report.problems), ""]
    return "\n".join(lines)


def _threshold_section(report: Report) -> list[str]:
    now, best = report.at_threshold(), report.best
    shown = sorted({round(i / 10, 1) for i in range(11)} | set(SHOWN_NEAR_ONE) | {now.threshold, best.threshold})
    by_threshold = {p.threshold: p for p in report.sweep}
    lines = [
        "## No-answer threshold",
        "",
        f"![EM and F1 against the no-answer threshold]({CHART})",
        "",
        f"docqa answers when its best candidate's confidence reaches the threshold, else it declines. "
        f"In use: {threshold_text(now.threshold)} (F1 {_num(now.f1)}, EM {_num(now.exact)}). Best for F1 on this file: "
        f"{threshold_text(best.threshold)} (F1 {_num(best.f1)}, EM {_num(best.exact)}). A threshold chosen on a file "
        "flatters the figures of that same file; `docqa eval --calibrate` stores it for `ask`, `serve` "
        "and later runs.",
        "",
        *markdown_table(
            ["threshold", "EM", "F1", "F1 answerable", "declined correctly", "answered"],
            [[threshold_text(t) + (" (in use)" if t == now.threshold else "") + (" (best)" if t == best.threshold else ""),
              _num(p.exact), _num(p.f1), _num(p.f1_answerable), _num(p.declined_correctly), _num(p.answered)]
             for t in shown if (p := by_threshold.get(t)) is not None],
        ),
        "",
        "### Is the confidence a probability?",
        "",
        "Candidates by confidence, and the share exactly right (any answer to an unanswerable question is wrong).",
        "",
        *markdown_table(
            ["confidence", "candidates", "mean confidence", "exactly right"],
            [[f"{b.low:.1f}–{b.high:.1f}", str(b.items), _num(b.confidence), _num(b.accuracy)]
             for b in report.reliability],
        ),
        "",
        *_kinds_table(report),
    ]
    return lines


def _kinds_table(report: Report) -> list[str]:
    """The reliability table per kind of question (scoring.question_kind): in each confidence bin, how
    many candidates were exactly right of how many."""
    if len(report.reliability_kinds) < 2:
        return []
    bins = next(iter(report.reliability_kinds.values()))
    return [
        "Per kind of question, as docqa reads it (a search-box query, or the question's form): exactly "
        "right of the candidates in each confidence bin.",
        "",
        *markdown_table(
            ["kind", *(f"{b.low:.1f}–{b.high:.1f}" for b in bins)],
            [[kind, *(f"{round((b.accuracy or 0) * b.items)} / {b.items}" if b.items else "–" for b in table)]
             for kind, table in report.reliability_kinds.items()],
        ),
        "",
    ]


def _misses_section(report: Report) -> list[str]:
    lines = [
        "## Misses",
        "",
        "- **retrieval**: answerable, and none of the retrieved passages holds a gold answer (\"in no document\":"
        " no passage of the index holds it either; the evaluation file may be out of date, or its answer not"
        " the documents' own words);",
        "- **reader**: a retrieved passage held it, and the words picked were wrong (F1 shows partial credit);",
        "- **abstention**: declined although answerable, or answered although the documents do not answer.",
        "",
    ]
    for kind in Miss:
        missed = [r for r in report.results if r.miss is kind]
        lines += [f"### {kind.value} ({len(missed)})", ""]
        if missed:
            lines += markdown_table(
                ["id", "question", "expected", "given", "confidence", "F1", "first hit"],
                [[r.item.id, _asked(r.item), _expected_cell(r.item.answers),
                  _answer_cell(r.prediction.answer) + (f" (candidate: {r.prediction.candidate})"
                                                       if r.declined and r.prediction.candidate else ""),
                  confidence_text(r.prediction.confidence, report.settings.threshold), _num(r.f1, 2),
                  _first_hit_cell(r)] for r in missed],
            )
            lines.append("")
    return lines


def _first_hit_cell(result: ItemResult) -> str:
    if result.first_hit:
        return str(result.first_hit)
    return "in no document" if result.prediction.record.get("expected_in_documents") is False else "–"


def _asked(item: EvalItem) -> str:
    return " → ".join([*item.history, item.question])


def _comparison_notes(c: Comparison) -> list[str]:
    """What makes the two runs' figures differ besides the answers: another file, another setting."""
    notes = [] if c.same_file else ["it ran on another file: figures compare different questions"]
    return notes + [f"{name} {_setting(before)} -> {_setting(now)}" for name, before, now in c.settings]


def _setting(value: object) -> str:
    return threshold_text(value) if isinstance(value, float) else str(value)


def _figure(value: float | None) -> str:
    """A figure of the comparison: a count as a whole number, a share or a time with 3 decimals."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _num(value)


def _comparison_section(c: Comparison) -> list[str]:
    lines = ["## Compared with the previous run", "", f"Previous report: {c.previous} (on {c.previous_file})."]
    lines += [note[:1].upper() + note[1:] + "." for note in _comparison_notes(c)]
    if c.only_before or c.only_after:
        lines.append(f"{len(c.only_before)} questions only in the previous run, {len(c.only_after)} only in this one.")
    lines += [
        "",
        *markdown_table(["figure", "before", "now", "change"],
                [[change.name, _figure(change.before), _figure(change.after),
                  f"{change.after - change.before:+d}" if isinstance(change.before, int) and isinstance(change.after, int)
                  else _signed(change.delta)]
                 for change in c.changes if change.before != change.after]),
        "",
        f"Unchanged figures are not listed. {len(c.flips)} questions flipped between right and wrong (exact match):",
        "",
    ]
    for flips, title in ((c.flips, None), (c.others, f"{len(c.others)} questions answered otherwise, "
                                                     "right or wrong in both runs (a decline become a wrong answer):")):
        if title is not None and flips:
            lines += [title, ""]
        if flips:
            lines += markdown_table(
                ["id", "question", "answer before", "answer now", "now"],
                [[f.id, f.question, _answer_cell(f.before), _answer_cell(f.after),
                  "right" if f.now_right else "wrong"] for f in flips],
            )
            lines.append("")
    return lines


def _questions_section(report: Report) -> list[str]:
    labels = list(report.groups)
    return [
        "## Every question",
        "",
        *markdown_table(
            ["id", *labels, "question", "expected", "given", "confidence", "EM", "F1", "first hit", "miss"],
            [[r.item.id, *(r.item.label(n) or "" for n in labels), _asked(r.item),
              _expected_cell(r.item.answers), _answer_cell(r.prediction.answer),
              confidence_text(r.prediction.confidence, report.settings.threshold),
              _num(r.exact, 0), _num(r.f1, 2), str(r.first_hit or "–"), r.miss.value if r.miss else ""]
             for r in report.results],
        ),
        "",
    ]
