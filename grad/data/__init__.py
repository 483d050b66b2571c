"""Small data sets shipped with the package: text for the language-model lessons, and
the 8x8 digits of the convolution lesson.

Nothing is downloaded: the files live next to this module (see README.md here for their
sources and licences).

    from grad.data import load_digits, load_names, load_text
    names = load_names()          # 5163 first names: ['aaron', 'abbey', ...]
    text = load_text()            # the first 19 chapters of Pride and Prejudice
    digits = load_digits()        # 1797 images of 8x8 pixels, their labels, a fixed split
"""
from __future__ import annotations

from importlib import resources
from typing import NamedTuple

__all__ = ["load_digits", "load_names", "load_text", "Digits", "TEXTS"]

TEXTS = ("pride_and_prejudice",)
"""The names `load_text` accepts."""


def _read(filename: str) -> str:
    return resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")


def load_names() -> list[str]:
    """US first names (the 1990 Census lists of female and male first names, merged):
    5163 different names, lower case a-z only, in alphabetical order."""
    return _read("names.txt").split()


def load_text(name: str = "pride_and_prejudice") -> str:
    """A passage of public-domain English text as one string, lines ending in "\\n".

    "pride_and_prejudice": Jane Austen's novel (1813), chapters 1 to 19, 191552 characters.
    """
    if not isinstance(name, str):
        raise TypeError(f"load_text takes the text's name as a string, one of {list(TEXTS)}; "
                        f"got {type(name).__name__}")
    if name not in TEXTS:
        raise ValueError(f"there is no text called {name!r}; the texts are {list(TEXTS)}")
    return _read(f"{name}.txt")


class Digits(NamedTuple):
    """The 8x8 digits: `images` (1797, 8, 8) floats, whole numbers from 0 (white) to 16
    (black); `target` (1797,) the digit each image shows; `train` and `test` the indices
    of a fixed split, 1437 and 360 images, each digit in about the same share in both."""
    images: "numpy.ndarray"
    target: "numpy.ndarray"
    train: "numpy.ndarray"
    test: "numpy.ndarray"


def load_digits() -> Digits:
    """The handwritten digits scikit-learn's `load_digits()` gives (the same images and
    labels, in the same order), without scikit-learn.

    The split is the one `train_test_split(..., test_size=0.2, random_state=0,
    stratify=target)` drew, stored so that it cannot change: `images[d.train]` are the
    training images in that function's order.
    """
    import numpy as np  # only this loader needs NumPy

    with resources.files(__name__).joinpath("digits.npz").open("rb") as f, np.load(f) as npz:
        return Digits(npz["images"].astype(np.float64), npz["target"].astype(np.int64),
                      npz["train"].astype(np.int64), npz["test"].astype(np.int64))
