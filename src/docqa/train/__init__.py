"""QA data -> a trained reader: `docqa train-reader` and `docqa export-reader`, in the order the data flows.

    data.py           SQuAD / NQ / docqa files -> examples; the articles kept apart to validate (TrainingData, gather)
    unanswerable.py   answerable examples -> generated unanswerable ones, six kinds of near miss
    windows.py        examples -> labelled windows of tokens -> length-grouped, padded batches
    validation.py     a model -> EM / F1 and the share of unanswerable questions declined, paragraph given
    loop.py           the run: TrainConfig, the Trainer that checkpoints and resumes, device and bf16 choice
    model_folders.py  Hugging Face folders: the base a run starts from (or recovers from a shipped graph), the
                      model it leaves, a run's lineage
    card.py           a run's card -> MODEL_CARD.md
    export.py         a trained model -> the ONNX reader docqa loads, with its load check and model card

Heavy dependencies: torch and transformers (imported only by these commands); no faiss, so that
training runs on a GPU machine that lacks it (benchmarks/device_train.py).
"""
