"""Train the reader on a lent GPU machine (the `device` tool) in one call, and bring its weights back.

That machine gets the repository's working tree and the folders a call carries, 64 MiB in all, and
returns at most 8 files of 16 MiB from $OUT. Its image has torch with CUDA, transformers, tokenizers,
safetensors, onnx, numpy, scipy and filelock, which training needs, but not faiss, bm25s, PyStemmer,
pysbd or spaCy, nor the packaged MiniLM, and it reaches no registry.
So training continues from the reader docqa ships (its int8 graph travels with the tree; its weights
are recovered from it, as `docqa train-reader --base-model trained` does) and the weights come back
in float16, in parts:

1. Here, once: `python benchmarks/device_train.py pack --data ../shared/data` fills `.devicekit/`
   (ignored by git, about 12 MB): the SQuAD and NQ files, MiniLM's config and tokenizer (no weights),
   and wheels of bm25s and PyStemmer for that machine's Python 3.12 (the retrieved negatives).
2. There, one `run` call with carry [".devicekit"] (the command is printed by `pack`):
       python3 -m pip install -q --no-index --no-deps --target /tmp/site .devicekit/wheels/*.whl
       export PYTHONPATH=src:/tmp/site
       timeout 480 python3 benchmarks/device_train.py train --run runs/gpu-1 --examples 200000
       python3 benchmarks/device_train.py parts --run runs/gpu-1 --out $OUT
   `train` is `docqa train-reader` on the GPU with a checkpoint every 2 minutes, in the multi-passage
   recipe (`--passages 3`: each question's paragraph and three retrieved beside it, normalised
   together; `--passages 0` is the one-paragraph recipe); `parts` writes the finished model, or the latest checkpoint's when the time limit stopped the run, as float16 parts
   of 15 MiB with the run's card. The sizes are guesses until a GPU session measures them: here the
   data took 1.5 minutes to prepare (2 cores: the base recovered from the graph, SQuAD and NQ read,
   30,743 negatives made, 137,302 windows tokenized in 59 s), and a validation of 900 questions 1.5
   more on the CPU; 200,000 windows are 1.5 epochs; the whole call must end within 10 minutes and
   the session's device time is 15, the machine's start included.
3. Here: `python benchmarks/device_train.py unpack FILES_AT --run runs/gpu-1` joins the parts into
   runs/gpu-1/model (float32, loadable by torch) with its card, so that
   `docqa export-reader runs/gpu-1 --int8 --out DIR` exports it as any run.

`train` and `parts` run here too (`--device cpu`): that is how this script is tested.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

KIT = Path(".devicekit")
ARCHITECTURE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
DATA_FILES = ("squad-v1.1-train.json.gz", "nq-qed-train.jsonl.gz")
# The versions pyproject.toml pins; for that machine's CPython 3.12 on x86-64.
WHEELS = ("bm25s==0.3.16", "PyStemmer==3.1.0")
PART_BYTES = 15 * 1024 * 1024
WEIGHTS = "weights-fp16.safetensors"


def pack(data: Path, kit: Path) -> None:
    from docqa.train.model_folders import default_base_model

    (kit / "architecture").mkdir(parents=True, exist_ok=True)
    for name in ARCHITECTURE_FILES:
        shutil.copy(default_base_model() / name, kit / "architecture" / name)
    for name in DATA_FILES:
        if not (data / name).is_file():
            sys.exit(f"{data / name} is missing: point --data at the folder holding {' and '.join(DATA_FILES)}.")
        shutil.copy(data / name, kit / name)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--implementation", "cp", "--platform", "manylinux_2_28_x86_64",
                    "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux1_x86_64",
                    "-d", str(kit / "wheels"), *WHEELS], check=True)
    size = sum(f.stat().st_size for f in kit.rglob("*") if f.is_file())
    print(f"{kit}: {size / 2**20:.1f} MiB. On the device machine (run, carry [\"{kit}\"]):")
    print(f"python3 -m pip install -q --no-index --no-deps --target /tmp/site {kit}/wheels/*.whl && "
          "export PYTHONPATH=src:/tmp/site && { timeout 480 python3 benchmarks/device_train.py train --run runs/gpu-1 "
          "--examples 200000 2>&1 | tee $OUT/train.log; python3 benchmarks/device_train.py parts --run runs/gpu-1 --out $OUT; }")


def train(run: Path, kit: Path, examples: int, lr: float, batch_size: int, negatives: float,
          validate_every: int, device: str, stop_after: int | None, passages: int = 3) -> int:
    from docqa import cli
    from docqa.read.factory import TRAINED
    from docqa.train.model_folders import resolve_base

    base = resolve_base(Path(TRAINED), run, architecture=kit / "architecture")
    argv = ["train-reader", "--squad", str(kit / DATA_FILES[0]), "--nq", str(kit / DATA_FILES[1]),
            "--base-model", str(base), "--out", str(run), "--examples", str(examples), "--lr", str(lr),
            "--batch-size", str(batch_size), "--negatives", str(negatives), "--validate-every", str(validate_every),
            "--checkpoint-minutes", "2", "--device", device, "--passages", str(passages)]
    return cli.main(argv + (["--stop-after", str(stop_after)] if stop_after is not None else []))


def parts(run: Path, out: Path) -> list[Path]:
    """The run's model (finished, else its latest checkpoint's) as float16 parts of PART_BYTES, and its
    card, in `out`."""
    import torch
    from safetensors.torch import load_file, save

    from docqa.errors import DocqaError
    from docqa.train.model_folders import model_from_run

    try:
        folder, card = model_from_run(run)
    except DocqaError as error:  # stopped before its first checkpoint: nothing to bring back
        sys.exit(f"docqa: {error}")
    card.setdefault("device", "cuda" if torch.cuda.is_available() else "cpu")  # a checkpoint's card names none
    weights = {name: tensor.to(torch.float16).contiguous() for name, tensor in load_file(folder / "model.safetensors").items()}
    data = save(weights)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, start in enumerate(range(0, len(data), PART_BYTES)):
        written.append(out / f"{WEIGHTS}.{number}")
        written[-1].write_bytes(data[start:start + PART_BYTES])
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"{len(written)} parts of {folder} ({len(data) / 2**20:.1f} MiB float16) and card.json in {out}")
    return written


def unpack(parts_folder: Path, run: Path, kit: Path) -> Path:
    """Join the parts into run/model (float32 safetensors, config and tokenizer) and write run/card.json,
    with the shipped reader's card beside the base it continued from, as `docqa train-reader` leaves them."""
    from safetensors.torch import load
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    from docqa.atomic import write_text_atomically
    from docqa.read.factory import TRAINED
    from docqa.train.model_folders import default_base_model, resolve_base, save_model

    numbers = sorted(int(p.suffix[1:]) for p in parts_folder.glob(f"{WEIGHTS}.*") if p.suffix[1:].isdigit())
    if not numbers:
        sys.exit(f"no {WEIGHTS}.N parts in {parts_folder}: fetch the device call's files, or run `parts` there again")
    if numbers != list(range(len(numbers))):
        missing = sorted(set(range(numbers[-1] + 1)) - set(numbers))
        sys.exit(f"{WEIGHTS}.{missing[0]} is missing from {parts_folder}: fetch it again, or run `parts` there again")
    pieces = [parts_folder / f"{WEIGHTS}.{number}" for number in numbers]
    try:
        weights = {name: tensor.float() for name, tensor in load(b"".join(p.read_bytes() for p in pieces)).items()}
    except Exception as error:  # safetensors says "incomplete metadata" of a cut file: say what to do
        sys.exit(f"the {len(pieces)} parts in {parts_folder} do not join into one weights file ({error}): "
                 "the last part is missing or cut; fetch the files again, or run `parts` there again")
    card = json.loads((parts_folder / "card.json").read_text(encoding="utf-8"))
    architecture = kit / "architecture" if (kit / "architecture").is_dir() else default_base_model()
    model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(str(architecture)))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if [name for name in missing if not name.endswith("position_ids")] or unexpected:
        sys.exit(f"the parts do not hold this model: missing {missing[:3]}, unexpected {unexpected[:3]}")
    save_model(model.eval(), architecture, run / "model")
    # The base the device run continued from, recovered here too, so that the card's lineage resolves.
    resolve_base(Path(TRAINED), Path(card["config"]["base_model"]).parent.parent, architecture)
    kept = {key: value for key, value in card.items() if key not in ("run", "continued_from")}
    write_text_atomically(run / "card.json", json.dumps(kept, indent=2) + "\n")
    print(f"{run / 'model'} (float32) and {run / 'card.json'}; next: docqa export-reader {run} --int8 --out DIR")
    return run / "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", type=Path, default=KIT)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pack", help="here: fill the kit folder that the device call carries")
    p.add_argument("--data", type=Path, required=True)
    t = commands.add_parser("train", help="there: docqa train-reader from the shipped reader")
    t.add_argument("--run", type=Path, required=True)
    t.add_argument("--examples", type=int, default=200_000)
    t.add_argument("--lr", type=float, default=5e-5)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--negatives", type=float, default=0.35)
    t.add_argument("--validate-every", type=int, default=2000)
    t.add_argument("--device", default="cuda")
    t.add_argument("--passages", type=int, default=3,
                   help="multi-passage groups: each question's paragraph with K retrieved beside it (0: one paragraph)")
    t.add_argument("--stop-after", type=int, default=None)
    w = commands.add_parser("parts", help="there: the run's weights as float16 parts in OUT")
    w.add_argument("--run", type=Path, required=True)
    w.add_argument("--out", type=Path, required=True)
    u = commands.add_parser("unpack", help="here: the parts back into a run folder")
    u.add_argument("parts", type=Path)
    u.add_argument("--run", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.data, args.kit)
    elif args.command == "train":
        sys.exit(train(args.run, args.kit, args.examples, args.lr, args.batch_size, args.negatives,
                       args.validate_every, args.device, args.stop_after, args.passages))
    elif args.command == "parts":
        parts(args.run, args.out)
    else:
        unpack(args.parts, args.run, args.kit)


if __name__ == "__main__":
    main()
