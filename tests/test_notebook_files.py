"""The committed notebooks as a reader's viewer shows them: each printed line in one block,
and no timestamps of the run that made them."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location("tidy_outputs", ROOT / "scripts" / "tidy_outputs.py")
tidy_outputs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tidy_outputs)


def stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_merge_streams_joins_adjacent_pieces_of_the_same_stream_only():
    outs = [stream("stdout", "90.0"), stream("stdout", " 10\n"), stream("stderr", "warning\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": "3"}),
            stream("stdout", "a\n"), stream("stdout", "b\n")]
    merged = tidy_outputs.merge_streams(outs)
    assert [(o.output_type, o.get("text")) for o in merged] == [
        ("stream", "90.0 10\n"), ("stream", "warning\n"), ("execute_result", None),
        ("stream", "a\nb\n")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_printed_line_is_split_over_two_outputs(path):
    nb = nbformat.read(path, as_version=4)
    split = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and len(tidy_outputs.merge_streams(cell.outputs)) != len(cell.outputs)]
    assert not split, f"cells {split}: run python scripts/tidy_outputs.py {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_timing_metadata_is_committed(path):
    """(run python scripts/tidy_outputs.py to drop it)"""
    nb = nbformat.read(path, as_version=4)
    timed = [i for i, cell in enumerate(nb.cells) if "execution" in cell.get("metadata", {})]
    assert not timed, f"cells {timed} keep execution timestamps"


def test_merge_streams_leaves_the_outputs_it_was_given_alone():
    outs = [stream("stdout", "a"), stream("stdout", "b")]
    assert tidy_outputs.merge_streams(outs)[0]["text"] == "ab"
    assert [o["text"] for o in outs] == ["a", "b"]
