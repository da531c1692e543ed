"""Corpus folders -> "What does X stand for?" questions, one per acronym that follows its spelled-out name.

The gold answer is the name the document spells out before "(X)" (docqa.question.spelled_out_names), so
the questions come from the documents, not from anyone's reading of docqa's misses:

    python benchmarks/acronym_questions.py /tmp/squad2-heldout/corpus > /tmp/acronyms.jsonl
    docqa eval /tmp/acronyms.jsonl --corpus /tmp/squad2-heldout/corpus --index /tmp/squad2-heldout/index

The name is matched by its initials, short joining words skipped where they do not fit; an acronym
whose letters are not the initials of its name ("NATO Maintenance and Supply Agency (NAMSA)") gives no
question.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from docqa.ingest.corpus import load_document
from docqa.read.question import spelled_out_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder of documents")
    args = parser.parse_args()
    seen: set[str] = set()
    for path in sorted(p for p in args.corpus.rglob("*") if p.is_file()):
        text = load_document(path, args.corpus).text
        for name in spelled_out_names(text):
            words = text[name.start:name.end]
            if name.acronym in seen or len(words.split()) < 2:
                continue
            seen.add(name.acronym)
            print(json.dumps({"id": f"acronym:{name.acronym}", "question": f"What does {name.acronym} stand for?",
                              "answers": [words]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
