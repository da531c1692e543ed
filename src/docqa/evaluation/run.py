"""`docqa eval`: an evaluation file + the engine -> predictions, figures, a report and a chart, and the
calibrated no-answer threshold. The one place that asks the engine and writes the report's files;
the parts it runs are evalset (the file), scoring (each item and the figures), compare (an earlier
run), report (the typed report and its JSON), render (text and Markdown) and chart (the PNG).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from docqa.atomic import write_text_atomically
from docqa.engine import Engine, chosen_documents
from docqa.errors import BadEvalFile, ReportNotWritten
from docqa.evaluation.compare import REPORT_JSON, Scorecard
from docqa.evaluation.items import EvalItem, Problem
from docqa.evaluation.render import CHART, REPORT_MD, render_markdown
from docqa.evaluation.metrics import contains_answer, first_hit
from docqa.evaluation.report import Report, RunSettings, build_report
from docqa.evaluation.scoring import Prediction, score_item
from docqa.index.store import read_manifest
from docqa.settings import Settings, read_calibrations, with_calibration

PREDICTIONS = "predictions.jsonl"
REPORTS = "reports"


def run_settings(engine: Engine) -> RunSettings:
    settings = engine.settings
    path = settings.calibration_path
    return RunSettings(
        model=settings.model,
        reader=engine.reader.label,
        top_k=settings.top_k,
        threshold=engine.threshold,
        calibration=str(path) if settings.threshold is None and path.is_file() else None,
        index=asdict(read_manifest(settings.index)),
    )


def unaskable(items: Sequence[EvalItem], known: set[str]) -> list[Problem]:
    """The items limited (`documents`) to documents the index does not hold (renamed or removed since the
    file was written; names as engine.chosen_documents reads them), as problems of their lines."""
    missing = {item.line: [name for name, chosen in zip(item.documents, chosen_documents(item.documents, tuple(known)))
                           if chosen not in known] for item in items}
    return [Problem(item.line, f"`documents` names {', '.join(map(repr, sorted(missing[item.line])))}, which the index "
                               "does not hold") for item in items if missing[item.line]]


def answers_held(answers: Mapping[int, Sequence[str]], texts: Iterable[str]) -> dict[int, bool]:
    """For each item's gold answers (by its position), whether one of `texts` holds one of them
    (metrics.contains_answer): the texts read through once, and not at all for no item."""
    held = dict.fromkeys(answers, False)
    if not answers:
        return held
    for text in texts:
        for n in [n for n, found in held.items() if not found]:
            held[n] = contains_answer(text, answers[n])
        if all(held.values()):
            break
    return held


def run(
    engine: Engine,
    file: Path,
    items: Sequence[EvalItem],
    problems: Sequence[Problem] = (),
    previous: Scorecard | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Ask every item's question (as a follow-up to its history) in file order, score the replies
    and build the report; `progress(done, total)` after each question. An item limited to documents the
    index does not hold is skipped as a problem (`unaskable`); raises BadEvalFile when no item is left."""
    skipped = unaskable(items, set(engine.indexed_names()))
    problems = sorted([*problems, *skipped], key=lambda problem: problem.line)
    dropped = {problem.line for problem in skipped}
    items = [item for item in items if item.line not in dropped]
    if not items:
        raise BadEvalFile(f"{file} holds no question that can be asked of this index (first: {problems[0]}). "
                          "Name documents as `docqa documents list` shows them.")
    predictions = []
    for done, item in enumerate(items, start=1):
        reply = engine.ask(item.question, history=list(item.history), documents=item.documents)
        candidate = reply.candidate.text if reply.candidate else None
        predictions.append(Prediction.from_reply(item, reply.to_dict(), candidate, reply.confidence, reply.seconds))
        if progress is not None:
            progress(done, len(items))
    # Missed by retrieval: does any document say it at all? (An out-of-date evaluation file, or an expected
    # answer not copied from the text, is not retrieval's fault.) One pass over the index for all of them.
    missed = {n: item.answers for n, (item, p) in enumerate(zip(items, predictions))
              if item.answerable and first_hit(p.passages, item.answers) is None}
    held = answers_held(missed, engine.passage_texts())
    results = [score_item(item, Prediction({**p.record, "expected_in_documents": held[n]}, p.confidence)
                          if n in held else p) for n, (item, p) in enumerate(zip(items, predictions))]
    created_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The absolute path, so that --compare recognises the same file however it was named.
    return build_report(str(file.resolve()), run_settings(engine), problems, results, previous, created_at)


# ---- writing --------------------------------------------------------------------------------------
def default_out(settings: Settings, now: datetime, prefix: str = "") -> Path:
    """evaluation/reports/<prefix><UTC timestamp>/, with -2, -3 ... when a run of the same second exists."""
    base = settings.evaluation_folder / REPORTS / f"{prefix}{now.strftime('%Y%m%dT%H%M%SZ')}"
    folder, n = base, 2
    while folder.exists():
        folder, n = base.with_name(f"{base.name}-{n}"), n + 1
    return folder


def write_report(folder: Path, report: Report) -> None:
    """predictions.jsonl, report.json, report.md and the threshold chart, in `folder`."""
    from docqa.evaluation.chart import draw_chart  # matplotlib loads only to draw

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / PREDICTIONS).open("w", encoding="utf-8") as out:
            for result in report.results:
                out.write(json.dumps(result.prediction.record, ensure_ascii=False) + "\n")
        (folder / REPORT_JSON).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
        (folder / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")
        draw_chart(report, folder / CHART)
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot write the report in {folder}/ ({error.strerror or error}). Pass --out with a writable folder."
        ) from None


def write_calibration(path: Path, record: dict) -> None:
    """Store `record` in the calibration file in place of the one for the same reader and model,
    keeping the others, in one step, so a reader never sees half of it."""
    content = with_calibration(read_calibrations(path), record)
    try:
        write_text_atomically(path, json.dumps(content, ensure_ascii=False, indent=1) + "\n")
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot store the calibration in {path} ({error.strerror or error}). Make its folder writable, "
            "or pass --threshold to ask and serve instead."
        ) from None
