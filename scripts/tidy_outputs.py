"""Tidy executed notebooks: one printed line stays one block, and no run's timestamps stay.

A kernel sends what a cell prints in pieces as it flushes; executing a notebook can store
one line as two outputs ("90.0" and " 10"), which JupyterLab joins but other viewers show
as two blocks. Executing with timing on stores each cell's start and end times in its
metadata, which change at every run. `make execute` runs this after executing the notebooks.

    python scripts/tidy_outputs.py notebooks/*.ipynb
"""
from __future__ import annotations

import sys

import nbformat


def merge_streams(outputs: list) -> list:
    """Adjacent stream outputs of the same stream (stdout or stderr) as one output (a new
    list; the outputs given are not changed)."""
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.get("name") == out.get("name")):
            merged[-1] = nbformat.from_dict({**last, "text": "".join(last["text"]) + "".join(out["text"])})
        else:
            merged.append(out)
    return merged


def tidy(path: str) -> bool:
    """Merge the split streams of one notebook and drop its timestamps, in place; True if
    anything changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.get("metadata", {}).pop("execution", None) is not None:
            changed = True
        if cell.cell_type == "code":
            merged = merge_streams(cell.outputs)
            if len(merged) != len(cell.outputs):
                cell.outputs, changed = merged, True
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if tidy(name):
            print(f"tidied {name}")
