"""unboil inference: label every line of scraped article text content or boilerplate.

    >>> from inference import load_model
    >>> model = load_model()                 # the bundled default model
    >>> model.clean(text)                     # the article's lines
    >>> model.classify(text)                  # every line with label and P(boilerplate)
    >>> model.clean(text, inclusive=True)     # comments, lists and tables count as content too
    >>> model.clean_many(pages, repeat_pages=REPEAT_PAGES)   # a site's pages: its template goes too

This package needs only numpy and scipy at prediction time; it never imports
``training``.
"""
from .model import (BOILERPLATE, CONTENT, DEFAULT_THRESHOLD, MIN_ARTICLE_CHARS, SWITCH_COST, LineResult,
                    Model, content_path, default_model_path, keep_mask, load_model, split_lines)
from .modelfile import ModelFileError
from .repeats import REPEAT_PAGES

__all__ = ["load_model", "Model", "LineResult", "ModelFileError", "CONTENT", "BOILERPLATE",
           "DEFAULT_THRESHOLD", "MIN_ARTICLE_CHARS", "SWITCH_COST", "default_model_path", "keep_mask",
           "content_path", "split_lines", "REPEAT_PAGES",
           "clean", "classify"]
__version__ = "0.1.0"

_default = None


def _default_model() -> Model:
    global _default
    if _default is None:
        _default = load_model()
    return _default


def clean(text, threshold: float | None = None, model: Model | None = None,
          min_chars: int | None = None, *, inclusive: bool = False) -> str:
    """The content lines of ``text`` (default model unless ``model`` is given)."""
    return (model or _default_model()).clean(text, threshold, min_chars, inclusive=inclusive)


def classify(text_or_lines, threshold: float | None = None, model: Model | None = None,
             min_chars: int | None = None, *, inclusive: bool = False):
    """Every line of ``text_or_lines`` with its label and P(boilerplate)."""
    return (model or _default_model()).classify(text_or_lines, threshold, min_chars, inclusive=inclusive)
