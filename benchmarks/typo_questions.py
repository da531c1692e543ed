"""An evaluation file -> the same questions as typed in a hurry: one word of each misspelt by one edit.

People type questions fast, and docqa is asked them as typed. This writes a copy of an evaluation file
(docqa's JSON lines) where each question has one of its words of five letters or more, written in lower
case, changed by one random edit past its first letter (a letter dropped, doubled, swapped with its
neighbour, or struck as the key beside it on a QWERTY keyboard), the kinds of typing error Damerau
(1964) counted; questions without such a word are left as they are, and a field "typo" says which word
became what. Then `docqa eval` on both files tells what misspelt words cost, and what index/spelling.py
wins back:

    python benchmarks/typo_questions.py /tmp/s24/sq800/qa.jsonl --out /tmp/typos/qa.jsonl --seed 1
    docqa eval /tmp/typos/qa.jsonl --corpus /tmp/s24/sq800/corpus --index /tmp/s24/sq800/index

The misspelt words are drawn at random with the seed, never chosen by looking at docqa's answers.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

KEYS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def neighbours(letter: str) -> str:
    """The letters beside `letter` on its QWERTY row."""
    for row in KEYS:
        n = row.find(letter)
        if n >= 0:
            return row[max(0, n - 1):n] + row[n + 1:n + 2]
    return ""


def misspelt(word: str, rng: random.Random) -> str:
    """`word` with one random edit past its first letter."""
    n = rng.randrange(1, len(word))
    kind = rng.choice(("drop", "double", "swap", "strike"))
    if kind == "swap" and n < len(word) - 1 and word[n] != word[n + 1]:
        return word[:n] + word[n + 1] + word[n] + word[n + 2:]
    if kind == "strike" and neighbours(word[n]):
        return word[:n] + rng.choice(neighbours(word[n])) + word[n + 1:]
    if kind == "double":
        return word[:n] + word[n] + word[n:]
    return word[:n] + word[n + 1:]


def with_typo(question: str, rng: random.Random) -> tuple[str, dict | None]:
    """The question with one of its lower-case words of five letters or more misspelt, and which."""
    words = [m for m in re.finditer(r"(?<![\w'-])[a-z]{5,}(?![\w'-])", question)]
    if not words:
        return question, None
    word = rng.choice(words)
    typed = misspelt(word.group(), rng)
    return question[:word.start()] + typed + question[word.end():], {"word": word.group(), "typed": typed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, help="a docqa evaluation file (JSON lines)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the misspelt copy")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines, changed = [], 0
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        item["question"], item["typo"] = with_typo(item["question"], rng)
        changed += item["typo"] is not None
        lines.append(json.dumps(item, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(lines)} questions, {changed} misspelt")


if __name__ == "__main__":
    main()
