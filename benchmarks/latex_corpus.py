"""A corpus of text files -> the same articles typeset by LaTeX as two-column papers (PDF).

Measures docqa's whole PDF path on real typesetting, not a simulation of it: pdflatex hyphenates words
at line ends, sets "fi" and "ffl" as ligatures, runs the text in two columns over pages with page
numbers, and docqa reads it back with `documents.read_pdf`. Index the PDFs and run `docqa eval` with the
original's questions; compare with the plain copy, which holds the very text that was typeset:

    python benchmarks/latex_corpus.py /tmp/squad2-heldout/corpus /tmp/latex
    docqa index --corpus /tmp/latex/pdf --index /tmp/latex/pdf-index --full
    docqa index --corpus /tmp/latex/plain --index /tmp/latex/plain-index --full
    docqa eval /tmp/squad2-heldout/qa.jsonl --corpus /tmp/latex/pdf --index /tmp/latex/pdf-index
    docqa eval /tmp/squad2-heldout/qa.jsonl --corpus /tmp/latex/plain --index /tmp/latex/plain-index

Each document's first line is its title, every other paragraph a paragraph of the paper (a short line
without a full stop becomes a section heading). pdflatex's fonts hold Latin-1 and typographic quotes and
dashes: other characters are written as the nearest ASCII letters or dropped, in both copies. Needs
`pdflatex` (Debian: texlive-latex-base); a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import unicodedata
from pathlib import Path

KEPT = set("–—‘’“”")
ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
           "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
           "|": r"\textbar{}", '"': "''"}
PREAMBLE = r"""\documentclass[twocolumn,10pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[margin=2cm]{geometry}
\title{%s}
\date{}
\begin{document}
\maketitle
"""


def typesettable(text: str) -> str:
    """The text in characters pdflatex's fonts hold: Latin-1 and typographic quotes and dashes; others as
    their ASCII letters ("ō" -> "o") or dropped ("越")."""
    out = []
    for char in text:
        if ord(char) < 256 or char in KEPT:
            out.append(char)
        else:
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode())
    return "".join(out)


def latex(text: str) -> str:
    return "".join(ESCAPES.get(char, char) for char in text)


def paper(text: str) -> str:
    title, *paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = []
    for paragraph in paragraphs:
        short = len(paragraph.split()) <= 8 and not paragraph.endswith((".", "?", "!", ":"))
        body.append(f"\\section*{{{latex(paragraph)}}}" if short else latex(" ".join(paragraph.split())))
    return PREAMBLE % latex(title) + "\n\n".join(body) + "\n\\end{document}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of .txt documents")
    parser.add_argument("out", type=Path, help="folder for plain/ (the text typeset) and pdf/ (the papers)")
    args = parser.parse_args()
    (args.out / "plain").mkdir(parents=True, exist_ok=True)
    (args.out / "pdf").mkdir(parents=True, exist_ok=True)
    files = sorted(args.source.glob("*.txt"))
    for path in files:
        text = typesettable(path.read_text(encoding="utf-8"))
        (args.out / "plain" / path.name).write_text(text, encoding="utf-8")
        with tempfile.TemporaryDirectory() as work:
            tex = Path(work) / "paper.tex"
            tex.write_text(paper(text), encoding="utf-8")
            run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                                 cwd=work, capture_output=True, text=True, errors="replace")
            pdf = Path(work) / "paper.pdf"
            if run.returncode != 0 or not pdf.exists():
                raise SystemExit(f"pdflatex failed on {path.name}:\n{run.stdout[-2000:]}")
            (args.out / "pdf" / path.with_suffix(".pdf").name).write_bytes(pdf.read_bytes())
    print(f"{len(files)} articles typeset into {args.out / 'pdf'}, their text in {args.out / 'plain'}")


if __name__ == "__main__":
    main()
