"""unboil training: label data, render and align benchmark pages, fit and evaluate models.

    >>> from training import train, read_label_dir
    >>> model = train(read_label_dir("data/"), seed=0)
    >>> model.save("model.npz")

Imports are lazy so that ``unboil clean`` (which enters through ``training.cli``)
does not pay for scikit-learn.
"""
__all__ = ["train", "evaluate", "read_label_dir", "read_label_file", "write_label_file", "Document"]


def __getattr__(name):
    if name == "train":
        from .train import train
        return train
    if name == "evaluate":
        from .evaluate import evaluate
        return evaluate
    if name in ("read_label_dir", "read_label_file", "write_label_file", "Document"):
        from . import labels
        return getattr(labels, name)
    raise AttributeError(name)
