"""Index builds: what is re-embedded when files are added, changed, deleted and renamed; answers
that follow the corpus; a build killed midway; the build lock; a running engine switching to a
new index; `watch`. Uses the real packaged embedding model on small generated corpora."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from standins import NoReader

import docqa.index.store
from docqa.embed.embedder import Embedder
from docqa.engine import Engine
from docqa import cli
from docqa.errors import EmptyCorpus, IndexLocked
from docqa.index.build import build_index, shard_count, watch
from docqa.index.manifest import BuildReport, plan_build, stale_reason
from docqa.index.shards import PROGRESS_BAR_MIN_PASSAGES
from docqa.index.store import CURRENT, BuildLock, load_index, read_manifest
from docqa.ingest.corpus import scan_corpus
from docqa.ingest.split import READING
from docqa.settings import Settings, SplitSettings, VectorSearch

FACTS = {
    "alpha.txt": "The lighthouse at Point Reyes was built in 1870 and guided ships along the foggy coast.",
    "beta.txt": "Sourdough bread rises slowly because wild yeast and lactic bacteria ferment the dough overnight.",
    "gamma.txt": "The chess club meets every Thursday evening in the basement of the public library.",
    "epsilon.txt": "Honeybees communicate the direction of flowers to their hive mates with a waggle dance.",
}
VOLCANO = "Mount Erebus in Antarctica is a volcano that holds a persistent lava lake in its summit crater."
VOLCANO_QUESTION = "Which Antarctic volcano has a lava lake?"
BAKERS = " Bakers feed the starter with flour and water every day."
ROOT = Path(__file__).resolve().parents[2]


class Recording:
    """The real embedder, remembering which texts it was asked to embed."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.dim = embedder.dim
        self.texts: list[str] = []
        self.progress: list[bool] = []

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.texts.extend(texts)
        self.progress.append(progress)
        return self.embedder.encode(texts)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def encoder(embedder: Embedder) -> Recording:
    return Recording(embedder)


def make_corpus(root: Path, files: dict[str, str]) -> Settings:
    for name, text in files.items():
        path = root / "corpus" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    return Settings(corpus=root / "corpus", index=root / "index")


def pointer(settings: Settings) -> str:
    return (settings.index / CURRENT).read_text(encoding="utf-8").strip()


def vectors_by_document(settings: Settings) -> dict[str, np.ndarray]:
    index = load_index(settings.index)
    return {p.document: index.vectors_of([i])[0] for i, p in enumerate(index.passages)}


def counts(report: BuildReport) -> tuple:
    return (report.added, report.changed, report.removed, report.unchanged,
            report.passages, report.embedded, report.reused, report.full)


# ---- incremental builds -----------------------------------------------------------------------

def test_add_change_delete_and_rename_re_embed_exactly_what_changed(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    first = build_index(settings, encoder)
    assert counts(first) == (("alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"), (), (), (), 4, 4, 0, True)
    before = vectors_by_document(settings)

    corpus = settings.corpus
    (corpus / "delta.txt").write_text(VOLCANO + "\n", encoding="utf-8")
    (corpus / "beta.txt").write_text(FACTS["beta.txt"] + BAKERS + "\n", encoding="utf-8")
    (corpus / "gamma.txt").unlink()
    (corpus / "sub").mkdir()
    (corpus / "alpha.txt").rename(corpus / "sub" / "alpha-renamed.txt")
    encoder.texts.clear()
    second = build_index(settings, encoder)

    assert counts(second) == (
        ("delta.txt", "sub/alpha-renamed.txt"), ("beta.txt",), ("alpha.txt", "gamma.txt"), ("epsilon.txt",),
        4, 2, 1, False,
    )
    # Only the new file and the edited one reached the model; the renamed file kept its vector.
    assert sorted(encoder.texts) == sorted([VOLCANO, FACTS["beta.txt"] + BAKERS])
    after = vectors_by_document(settings)
    assert np.array_equal(after["epsilon.txt"], before["epsilon.txt"])
    assert np.array_equal(after["sub/alpha-renamed.txt"], before["alpha.txt"])
    assert not np.array_equal(after["beta.txt"], before["beta.txt"])
    index = load_index(settings.index)
    assert [p.document for p in index.passages] == ["beta.txt", "delta.txt", "epsilon.txt", "sub/alpha-renamed.txt"]
    assert index.manifest.documents == scan_corpus(corpus).hashes
    assert index.manifest.build_seconds > 0


def test_a_build_with_nothing_changed_writes_nothing(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    active = pointer(settings)
    encoder.texts.clear()
    report = build_index(settings, encoder)
    assert counts(report) == ((), (), (), ("alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"), 4, 0, 0, False)
    assert encoder.texts == [] and pointer(settings) == active


def test_another_vector_index_alone_re_indexes_without_embedding(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    before = vectors_by_document(settings)
    flat = pointer(settings)
    encoder.texts.clear()
    hnsw = settings.with_(vector_search=VectorSearch.HNSW)
    unchanged = ((), (), (), ("alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"), 4, 0, 0, False)
    assert counts(build_index(hnsw, encoder)) == unchanged
    assert encoder.texts == [] and pointer(settings) != flat
    assert read_manifest(settings.index).vectors == {"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 64}
    after = vectors_by_document(settings)
    assert all(np.array_equal(after[name], before[name]) for name in FACTS)
    # Asked again: nothing to write. Back to the default (auto: flat at this size): written again.
    switched = pointer(settings)
    build_index(hnsw, encoder)
    assert pointer(settings) == switched
    build_index(settings, encoder)
    assert read_manifest(settings.index).vectors["kind"] == "flat" and encoder.texts == []


def test_full_and_settings_changes_re_embed_everything(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    everything = (("alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"), (), (), (), 4, 4, 0, True)
    assert counts(build_index(settings, encoder, full=True)) == everything
    other_split = settings.with_(split=SplitSettings(min_words=10, max_words=100, overlap_sentences=0))
    assert counts(build_index(other_split, encoder)) == everything
    assert read_manifest(settings.index).split == {"min_words": 10, "max_words": 100, "overlap_sentences": 0}
    # Another model's name (the encoder stands in for it) reuses nothing either.
    assert counts(build_index(other_split.with_(model="paraphrase-MiniLM-L3-v2"), encoder)) == everything


def test_plan_build_says_why_everything_is_rebuilt(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    manifest = read_manifest(settings.index)
    hashes = scan_corpus(settings.corpus).hashes
    split = settings.split
    assert plan_build(hashes, manifest, settings.model, split, full=False).reason is None
    assert [
        plan_build(hashes, manifest, settings.model, split, full=True).reason,
        plan_build(hashes, None, settings.model, split, full=False).reason,
        plan_build(hashes, manifest, "other-model", split, full=False).reason,
        plan_build(hashes, manifest, settings.model, replace(split, max_words=99), full=False).reason,
        plan_build(hashes, replace(manifest, format=99), settings.model, split, full=False).reason,
    ] == [
        "a full rebuild was asked for",
        "there is no previous index",
        "the model changed from 'all-MiniLM-L6-v2' to 'other-model'",
        "the splitter settings changed",
        "the index has format 99, this docqa writes 1",
    ]


def test_an_index_read_by_another_docqa_reads_every_file_again_and_embeds_none(
        tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    # As an index built before split.READING existed: its manifest has no "reading".
    manifest_file = settings.index / pointer(settings) / "manifest.json"
    written = json.loads(manifest_file.read_text(encoding="utf-8"))
    assert written["reading"] == READING
    del written["reading"]
    manifest_file.write_text(json.dumps(written), encoding="utf-8")
    hashes = scan_corpus(settings.corpus).hashes
    reason = (f"its documents were read by another docqa (reading 0, this one reads them as {READING}): "
              "every file is read again, passages whose text did not change keep their vectors")
    assert stale_reason(read_manifest(settings.index), settings.model, settings.split, hashes) == reason
    encoder.texts.clear()
    told: list[str] = []
    report = build_index(settings, encoder, progress=told.append)
    assert told[0] == f"Reading every document again: {reason}"
    assert (report.changed, report.unchanged, report.embedded, report.reused, report.full) == (
        tuple(sorted(FACTS)), (), 0, 4, False)
    assert encoder.texts == []
    assert read_manifest(settings.index).reading == READING
    assert build_index(settings, encoder).unchanged == tuple(sorted(FACTS))


def test_a_damaged_index_is_built_again_and_the_report_says_why(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    assert build_index(settings, encoder).repaired is None
    (settings.index / CURRENT).write_bytes(b"\xff\xfe garbage")
    report = build_index(settings, encoder)
    assert report.repaired == (f"The index in {settings.index}/ cannot be read (CURRENT cannot be read "
                               "(UnicodeDecodeError))")
    assert counts(report)[:4] == (("alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"), (), (), ())
    assert cli.format_build(report).splitlines()[3] == f"  repaired: {report.repaired}; every document was read again"
    assert build_index(settings, encoder).repaired is None


def test_a_paragraph_edit_re_embeds_only_the_new_passage(tmp_path: Path, encoder: Recording) -> None:
    long_text = "\n\n".join(f"Paragraph {n} says that station {n} records {n * 3} millimetres of rain in "
                             f"a typical spring month, measured since {1900 + n}." for n in range(1, 4))
    settings = make_corpus(tmp_path, {"rain.txt": long_text})
    settings = settings.with_(split=SplitSettings(min_words=5, max_words=20, overlap_sentences=0))
    assert build_index(settings, encoder).embedded == 3
    encoder.texts.clear()
    edited = long_text.replace("station 2 records 6", "station 2 records 7")
    (settings.corpus / "rain.txt").write_text(edited, encoding="utf-8")
    report = build_index(settings, encoder)
    assert (report.changed, report.embedded, report.reused, report.passages) == (("rain.txt",), 1, 2, 3)
    assert encoder.texts == [edited.split("\n\n")[1]]


def test_files_skipped_for_one_reason_are_named_in_one_line_when_there_are_more_than_four(
        tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    for name in ("a.json", "b.json", *(f"sheet{n}.pptx" for n in range(1, 7))):
        (settings.corpus / name).write_bytes(b"x")
    reason = "docqa does not read {} files; save a copy as .txt, .md, .pdf, .html, .docx, .csv or .xlsx to index it"
    assert build_index(settings, encoder).skipped == (
        f"a.json: {reason.format('.json')}",
        f"b.json: {reason.format('.json')}",
        f"sheet1.pptx, sheet2.pptx, sheet3.pptx and 3 more: {reason.format('.pptx')}",
    )


def test_unreadable_files_are_skipped_and_do_not_make_the_index_stale(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    (settings.corpus / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage")
    report = build_index(settings, encoder)
    assert report.skipped == ("broken.pdf: not a readable PDF (PdfStreamError: Stream has ended unexpectedly)",)
    manifest = read_manifest(settings.index)
    assert "broken.pdf" not in manifest.documents and list(manifest.skipped) == ["broken.pdf"]
    assert stale_reason(manifest, settings.model, settings.split, scan_corpus(settings.corpus).hashes) is None
    active = pointer(settings)
    again = build_index(settings, encoder)
    assert (again.added, again.embedded, again.skipped, pointer(settings)) == ((), 0, report.skipped, active)
    # A file that becomes readable is added; one that becomes unreadable leaves the index.
    (settings.corpus / "broken.pdf").unlink()
    (settings.corpus / "beta.txt").write_bytes(b"\x00binary now")
    report = build_index(settings, encoder)
    assert (report.removed, report.skipped) == (("beta.txt",), ("beta.txt: it looks binary (contains NUL bytes)",))


def test_an_empty_corpus_keeps_the_previous_index(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    active = pointer(settings)
    for name in FACTS:
        (settings.corpus / name).unlink()
    with pytest.raises(EmptyCorpus, match=r"No readable documents in .*corpus/\. Put \.txt, \.md, \.pdf, \.html"):
        build_index(settings, encoder)
    assert pointer(settings) == active


def test_progress_bar_only_on_long_builds(tmp_path: Path) -> None:
    class Counting:
        dim = 8

        def __init__(self) -> None:
            self.progress: list[bool] = []

        def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
            self.progress.append(progress)
            vectors = np.ones((len(texts), self.dim), dtype=np.float32)
            return vectors / np.sqrt(self.dim)

    files = {f"doc{n:03d}.txt": f"Document number {n} is about topic {n}." for n in range(PROGRESS_BAR_MIN_PASSAGES)}
    settings = make_corpus(tmp_path, files)
    messages: list[str] = []
    counting = Counting()
    build_index(settings, counting, progress=messages.append)
    (settings.corpus / "doc000.txt").write_text("Document zero changed.", encoding="utf-8")
    build_index(settings, counting, progress=messages.append)
    build_index(settings, counting, full=True)
    assert counting.progress == [True, False, False]
    assert messages == ["Embedding 256 passages", "Embedding 1 passage"]


# ---- answers follow the corpus ----------------------------------------------------------------

def top_documents(engine: Engine, question: str) -> list[str]:
    return [hit.passage.document for hit in engine.retrieve(question)]


def test_retrieval_follows_an_added_then_removed_file(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_corpus(tmp_path, FACTS)
    engine = Engine(settings, embedder=embedder, reader=NoReader())
    assert "delta.txt" not in top_documents(engine, VOLCANO_QUESTION)

    (settings.corpus / "delta.txt").write_text(VOLCANO + "\n", encoding="utf-8")
    assert engine.status().stale == "new: delta.txt"
    assert engine.rebuild().added == ("delta.txt",)
    assert top_documents(engine, VOLCANO_QUESTION)[0] == "delta.txt"
    assert engine.status().stale is None

    (settings.corpus / "delta.txt").unlink()
    assert engine.rebuild().removed == ("delta.txt",)
    assert "delta.txt" not in top_documents(engine, VOLCANO_QUESTION)


# ---- live switch ------------------------------------------------------------------------------

def test_a_running_engine_switches_to_an_index_built_elsewhere(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_corpus(tmp_path, FACTS)
    serving = Engine(settings, embedder=embedder, reader=NoReader())
    builder = Engine(settings, embedder=embedder, reader=NoReader(), auto_build=False)
    assert serving.reload_if_changed() is False

    answers: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                serving.reload_if_changed()
                answers.append(top_documents(serving, VOLCANO_QUESTION)[0])
            except BaseException as error:  # noqa: BLE001 - any failure while serving fails the test
                errors.append(error)
                return

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        (settings.corpus / "delta.txt").write_text(VOLCANO + "\n", encoding="utf-8")
        builder.rebuild()
        deadline = time.monotonic() + 20
        while (not answers or answers[-1] != "delta.txt") and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
    finally:
        done.set()
        asker.join()
    assert errors == []
    assert answers[-1] == "delta.txt"
    assert serving.status().documents == 5
    assert serving.reload_if_changed() is False


# ---- the lock ---------------------------------------------------------------------------------

def test_a_second_build_waits_for_the_lock_or_names_its_holder(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    with BuildLock(settings.index, wait_seconds=0):
        with pytest.raises(IndexLocked, match=(
            rf"^Another build is writing .*index/ \(pid {os.getpid()} on .+ since \d{{4}}-.+\)\. "
            r"Wait for it to finish, then try again\.$"
        )):
            build_index(settings, encoder, lock_wait_seconds=0.2)

    messages: list[str] = []
    taken = threading.Event()

    def hold_briefly() -> None:
        with BuildLock(settings.index, wait_seconds=0):
            taken.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    taken.wait()
    report = build_index(settings, encoder, progress=messages.append, lock_wait_seconds=30)
    holder.join()
    assert report.embedded == 4
    assert re.fullmatch(rf"Waiting for the build that holds .*index/ \(pid {os.getpid()} on .+\)", messages[0])


# ---- killed builds ----------------------------------------------------------------------------

def generated_documents(count: int) -> dict[str, str]:
    rng = np.random.default_rng(7)
    words = ("river harbour engine garden village signal copper window market winter orchard tunnel "
             "lantern meadow bridge quarry").split()
    return {
        f"generated/doc{n:03d}.txt": f"Record {n} notes that the {' '.join(rng.choice(words, 12))} stayed calm."
        for n in range(count)
    }


def environment() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def wait_for_line(stream, pattern: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError(f"the build ended before printing {pattern!r}")
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no {pattern!r} within {seconds} s")


# Stops a build in the middle of writing its new folder: after the vectors and passages, before the
# manifest and the switch of CURRENT.
STALLED_WRITER = """
import sys, time
from pathlib import Path
import numpy as np
import docqa.index.manifest
from docqa.index.build import build_index
from docqa.settings import Settings

class Quick:
    dim = 384
    def encode(self, texts, progress=False):
        vectors = np.random.default_rng(0).standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

def stall():
    print("WRITING", flush=True)
    time.sleep(300)

docqa.index.manifest.library_versions = stall
build_index(Settings(corpus=Path(sys.argv[1]), index=Path(sys.argv[2])), Quick(), full=True)
"""


def test_a_build_killed_midway_leaves_the_previous_index_loadable(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, embedder)
    active = pointer(settings)
    make_corpus(tmp_path, generated_documents(300))
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index)]

    # 1. `docqa index --full` killed while it embeds.
    build = subprocess.Popen(
        [sys.executable, "-m", "docqa.cli", "index", "--full", *folders],
        cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_line(build.stderr, r"^Embedding \d+ passages", seconds=120)
        time.sleep(0.3)
        assert build.poll() is None, "the build finished before it could be killed"
        build.send_signal(signal.SIGKILL)
    finally:
        build.kill()
        build.wait()
    assert build.returncode == -signal.SIGKILL
    assert pointer(settings) == active
    assert [p.name for p in settings.index.glob("build-*")] == [active]

    # 2. A build killed halfway through writing its new folder.
    stalled = subprocess.Popen(
        [sys.executable, "-c", STALLED_WRITER, str(settings.corpus), str(settings.index)],
        cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        wait_for_line(stalled.stdout, r"^WRITING$", seconds=120)
        stalled.send_signal(signal.SIGKILL)
    finally:
        stalled.kill()
        stalled.wait()
    (partial,) = settings.index.glob(".partial-*")
    # Killed while making the manifest (library_versions), before BM25 and the manifest were written.
    assert sorted(p.name for p in partial.iterdir()) == ["passages.jsonl", "passages.offsets.npy", "vectors.faiss"]
    assert pointer(settings) == active

    # The previous index still loads and answers.
    assert sorted(load_index(settings.index).manifest.documents) == sorted(FACTS)
    for name in generated_documents(300):
        (settings.corpus / name).unlink()
    serving = Engine(settings, embedder=embedder, reader=NoReader(), auto_build=False)
    assert top_documents(serving, "When was the Point Reyes lighthouse built?")[0] == "alpha.txt"

    # The next build takes the lock at once (the kernel freed it) and clears the leftovers.
    report = build_index(settings, embedder, lock_wait_seconds=0)
    assert (report.embedded, pointer(settings)) == (0, active)
    assert list(settings.index.glob(".partial-*")) == []


# ---- watch ------------------------------------------------------------------------------------

def test_watch_rebuilds_once_after_changes_settle(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    reports: list[BuildReport] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch, kwargs=dict(
        settings=settings, encoder=encoder, on_build=reports.append,
        poll_seconds=0.05, debounce_seconds=0.6, should_stop=stop.is_set,
    ))
    watcher.start()
    try:
        time.sleep(0.2)
        (settings.corpus / "delta.txt").write_text(VOLCANO + "\n", encoding="utf-8")
        time.sleep(0.2)
        (settings.corpus / "gamma.txt").unlink()
        deadline = time.monotonic() + 30
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a second build would have started by now
    finally:
        stop.set()
        watcher.join()
    assert [(r.added, r.removed, r.embedded) for r in reports] == [(("delta.txt",), ("gamma.txt",), 1)]


# ---- reading an index while builds replace it -------------------------------------------------

def test_load_index_follows_current_when_its_folder_vanishes_mid_load(
    tmp_path: Path, encoder: Recording, monkeypatch,
) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    first = pointer(settings)
    (settings.corpus / "delta.txt").write_text(VOLCANO + "\n", encoding="utf-8")
    build_index(settings, encoder)
    second = pointer(settings)
    (settings.index / CURRENT).write_text(first + "\n", encoding="utf-8")
    original = docqa.index.store._load_folder

    def pruned_meanwhile(index_dir: Path, folder: Path):
        if folder.name == first:  # a newer build switched CURRENT and pruned this folder
            (settings.index / CURRENT).write_text(second + "\n", encoding="utf-8")
            shutil.rmtree(folder)
        return original(index_dir, folder)

    monkeypatch.setattr(docqa.index.store, "_load_folder", pruned_meanwhile)
    index = load_index(settings.index)
    assert index.folder.name == second and len(index.passages) == 5


def test_a_manifest_written_before_the_skipped_field_still_loads(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    path = settings.index / pointer(settings) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["skipped"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert read_manifest(settings.index).skipped == {}
    assert build_index(settings, encoder).embedded == 0


def test_the_shard_count_is_asked_for_else_the_index_s_else_the_workers_default(tmp_path: Path, encoder: Recording) -> None:
    settings = make_corpus(tmp_path, FACTS)
    build_index(settings, encoder)
    unsharded = read_manifest(settings.index)
    build_index(settings.with_(shards=3), encoder)
    sharded = read_manifest(settings.index)
    assert [shard_count(2, sharded, 1), shard_count(None, sharded, 8), shard_count(None, unsharded, 8),
            shard_count(None, None, 1)] == [2, 3, 8, 1]
    hashes = scan_corpus(settings.corpus).hashes
    assert plan_build(hashes, sharded, settings.model, settings.split, False, 3).reason is None
    assert (plan_build(hashes, sharded, settings.model, settings.split, False, 1).reason
            == "the number of shards changed from 3 to 1")
