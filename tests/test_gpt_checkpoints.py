"""The model files notebook 15 loads: they load into the notebook's own GPT class and give the
validation losses the notebook prints; the script that makes them trains that same class."""
import io
import math
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grad.tensor
from grad.data import load_text
from grad.tensor import nn
from grad.tensor import functional as F

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "15_gpt.ipynb"
DATA = ROOT / "grad" / "data"
SCRIPT = ROOT / "scripts" / "train_gpt_ablations.py"
CLASSES = ("MultiHeadAttention", "MLP", "Block", "GPT")
FILES = {"full model": ("full_short", {}), "no position embedding": ("no_position", {"position": False}),
         "no residual connections": ("no_residual", {"residual": False}),
         "no layer norm": ("no_norm", {"norm": False}), "one head": ("one_head", {"n_heads": 1})}


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _class_cells():
    found = {}
    for c in _cells():
        m = re.match(r"class (\w+)\(nn\.Module\)", c.source)
        if c.cell_type == "code" and m and m.group(1) in CLASSES:
            found[m.group(1)] = c.source
    return found


def _printed(pattern):
    """The numbers the notebook's saved outputs print on lines matching `pattern`."""
    out = []
    for c in _cells():
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                out += re.findall(pattern, o["text"], flags=re.M)
    return out


@pytest.fixture(scope="module")
def model_class():
    ns = {"math": math, "np": np, "nn": nn, "F": F}
    for name in CLASSES:
        exec(compile(_class_cells()[name], f"<notebook 15: {name}>", "exec"), ns)
    return ns["GPT"]


@pytest.fixture(scope="module")
def val_ids():
    text = load_text()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = np.array([stoi[ch] for ch in text])
    return len(chars), data[int(0.9 * len(data)):]


def _val_loss(model, V, val_ids, block=32):
    starts = np.arange(0, len(val_ids) - block - 1, block)
    rows = starts[:, None] + np.arange(block)
    with grad.tensor.no_grad():
        logits = model(val_ids[rows])
        return F.cross_entropy(logits.reshape(-1, V), val_ids[rows + 1].reshape(-1)).item()


def _load(model_class, V, name, **changes):
    grad.tensor.manual_seed(0)
    model = model_class(V, 32, 48, **{"n_heads": 4, **changes}, n_layers=2)
    model.load_state_dict(dict(np.load(DATA / f"gpt_{name}.npz")))
    return model


def test_the_script_trains_the_notebooks_classes_word_for_word():
    script = SCRIPT.read_text()
    cells = _class_cells()
    assert sorted(cells) == sorted(CLASSES)
    for name, source in cells.items():
        assert source.strip() in script, f"the script's {name} is not the notebook's"


def test_the_files_are_small_and_complete():
    names = [f"gpt_{n}.npz" for n, _ in FILES.values()] + ["gpt_full.npz", "gpt_losses.npz"]
    sizes = {n: (DATA / n).stat().st_size for n in names}
    assert sum(sizes.values()) < 1_000_000, sizes
    losses = np.load(DATA / "gpt_losses.npz")
    assert sorted(losses.files) == sorted(["full", "no_position", "no_residual", "no_norm", "one_head"])
    assert len(losses["full"]) == 3000 and all(len(losses[k]) == 500 for k in losses.files if k != "full")
    assert np.isfinite(np.concatenate([losses[k] for k in losses.files])).all()


def test_the_files_are_written_byte_for_byte_the_same():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import train_gpt_ablations as script
    finally:
        sys.path.remove(str(SCRIPT.parent))
    for name in ("gpt_full.npz", "gpt_losses.npz"):
        shipped = (DATA / name).read_bytes()
        arrays = dict(np.load(io.BytesIO(shipped)))
        with zipfile.ZipFile(io.BytesIO(shipped)) as zf:
            assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in zf.infolist())
        out = io.BytesIO()
        script.save_npz(out, arrays)
        assert out.getvalue() == shipped, name


def test_every_file_loads_into_the_notebooks_model(model_class, val_ids):
    V, _ = val_ids
    for name, changes in list(FILES.values()) + [("full", {})]:
        model = _load(model_class, V, name, **changes)
        state = model.state_dict()
        saved = np.load(DATA / f"gpt_{name}.npz")
        assert sorted(state) == sorted(saved.files)
        assert all(state[k].dtype == np.float32 for k in state)
        assert all(np.array_equal(state[k], saved[k].astype(np.float32)) for k in state)


def test_the_validation_losses_are_the_notebooks(model_class, val_ids):
    V, ids = val_ids
    stated = dict(re.findall(r"^(full model|no position embedding|no residual connections|"
                             r"no layer norm|one head)\s+(\d+\.\d+)$", "\n".join(
                                 _printed(r"^.*\d+\.\d{3}$")), flags=re.M))
    assert sorted(stated) == sorted(FILES)
    for label, (name, changes) in FILES.items():
        got = _val_loss(_load(model_class, V, name, **changes), V, ids)
        assert abs(got - float(stated[label])) < 2e-3, (label, got, stated[label])
    long_run = _printed(r"^validation loss after 3000 steps: (\d+\.\d+)$")
    assert len(long_run) == 1
    got = _val_loss(_load(model_class, V, "full"), V, ids)
    assert abs(got - float(long_run[0])) < 2e-3, (got, long_run)
