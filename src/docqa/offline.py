"""Offline switches for Hugging Face libraries, set before transformers is first imported.

The hub is unreachable on these machines: fail fast instead of waiting on the network, and keep
loading bars out of the user's terminal. Import this module before sentence_transformers or
transformers.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from transformers.utils import logging as transformers_logging  # noqa: E402  (after the switches)

transformers_logging.disable_progress_bar()
transformers_logging.set_verbosity_error()
