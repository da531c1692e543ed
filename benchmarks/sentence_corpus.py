"""SQuAD training questions of a sentence form -> a docqa corpus and a sentence evaluation file (not a
test): to calibrate the confidence of sentence answers on questions none of us wrote (issue #33, item 4).

Articles of the SQuAD training file (never the last --held-out, which `docqa train-reader` validates
on) are drawn at random; their questions whose form is not a factoid (read/form.py: why, how, what
happens, definition, list, yes/no) become sentence items: the answer is the sentence of the paragraph
that holds the gold span (read/sentences.sentences), the span its key. The questions of --absent more
articles, left out of the corpus, become unanswerable ones.

    .venv/bin/python benchmarks/sentence_corpus.py --squad ../shared/data/squad-v1.1-train.json.gz --out /tmp/squad-sentences
    .venv/bin/python benchmarks/sentence_corpus.py --squad ../shared/data/squad-v1.1-train.json.gz --from-held-out --out /tmp/squad-held-sentences
    docqa eval /tmp/squad-sentences/qa.jsonl --corpus /tmp/squad-sentences/corpus --index /tmp/squad-sentences/index

Write the output outside the repository: the data's licence travels with it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heldout_corpus import write_corpus

from docqa.read.form import Form, question_form
from docqa.read.sentences import sentences
from docqa.train.data import load_squad, split_by_group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--absent", type=int, default=40)
    parser.add_argument("--held-out", type=int, default=20)
    parser.add_argument("--from-held-out", action="store_true",
                        help="the corpus is the --held-out articles that `docqa train-reader` validates on and never "
                             "trains on (not --articles drawn from the training ones)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    training, validation = split_by_group(load_squad(args.squad), args.held_out)
    groups = sorted({e.group for e in training})
    if args.from_held_out:
        # The reader never trained on the held-out articles: its evidence there is what a user's
        # documents get. The absent articles stay training ones (off-topic either way).
        kept = {e.group for e in validation}
        absent = set(random.Random(7).sample(groups, args.absent))
        training = [*training, *validation]
    else:
        drawn = random.Random(7).sample(groups, args.articles + args.absent)
        kept, absent = set(drawn[:args.articles]), set(drawn[args.articles:])
    corpus = args.out / "corpus"
    articles = write_corpus([e for e in training if e.group in kept], corpus)
    items = []
    for e in training:
        if e.group not in kept | absent or not e.answerable:
            continue
        form = question_form(e.question)
        if form is Form.FACTOID:
            continue
        item = {"id": e.id, "question": e.question, "answers": [], "answer_kind": "sentence", "form": form.value,
                "split": "absent" if e.group in absent else "kept"}
        if e.group in kept:
            start, end = e.answer_start, e.answer_start + len(e.answer_text)
            holding = [(a, b) for a, b in sentences(e.context) if a <= start and end <= b]
            if not holding:
                continue  # the span crosses sentences: no one sentence answers it
            a, b = holding[0]
            item["answers"], item["keys"] = [e.context[a:b]], [e.answer_text]
        items.append(item)
    with (args.out / "qa.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{articles} articles in {corpus}; {sum(bool(i['answers']) for i in items)} answerable and "
          f"{sum(not i['answers'] for i in items)} unanswerable sentence questions in {args.out / 'qa.jsonl'}")


if __name__ == "__main__":
    main()
