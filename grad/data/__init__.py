"""Small text data sets shipped with the package, for the language-model lessons.

Nothing is downloaded: the files live next to this module (see README.md here for their
sources and licences).

    from grad.data import load_names, load_text
    names = load_names()          # 5163 first names: ['aaron', 'abbey', ...]
    text = load_text()            # the first 19 chapters of Pride and Prejudice
"""
from __future__ import annotations

from importlib import resources

__all__ = ["load_names", "load_text", "TEXTS"]

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
