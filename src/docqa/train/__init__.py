"""QA data -> a trained reader: `docqa train-reader` and `docqa export-reader`.

    training.py  SQuAD / NQ / docqa files -> examples, generated negatives, windows, batches; the loop
    train/export.py    a trained model -> the ONNX reader docqa loads, with its load check and model card

Heavy dependencies: torch and transformers (imported only by these commands); no faiss, so that
training runs on a GPU machine that lacks it (benchmarks/device_train.py).
"""
