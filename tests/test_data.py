"""grad.data: the shipped names, text and digits load offline, hold what their README says, and
travel with an installed package."""
import fnmatch
import re
from pathlib import Path

import pytest

import grad.data
from grad.data import TEXTS, load_names, load_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "grad" / "data"


def test_names_are_5163_distinct_lower_case_names_in_order():
    names = load_names()
    assert len(names) == 5163
    assert names == sorted(set(names))
    assert all(re.fullmatch(r"[a-z]+", n) for n in names)
    assert {"emma", "mary", "james", "olivia", "zachary"} <= set(names)
    assert min(map(len, names)) == 2 and max(map(len, names)) == 11


def test_each_call_gives_a_new_list():
    a = load_names()
    a.clear()
    assert len(load_names()) == 5163


def test_the_text_is_the_first_19_chapters_of_pride_and_prejudice():
    text = load_text()
    assert text == load_text("pride_and_prejudice")
    assert len(text) == 191552
    assert text.startswith("PRIDE AND PREJUDICE\n\nBy Jane Austen\n")
    assert "It is a truth universally acknowledged, that a single man in possession\n" in text
    chapters = [int(n) for n in re.findall(r"^Chapter (\d+)$", text, re.M)]
    assert chapters == list(range(1, 20))
    assert text.endswith("coquetry of an elegant female.\n")
    assert "\r" not in text and text.isascii()


def test_unknown_texts_are_refused_with_the_names_there_are():
    with pytest.raises(ValueError, match="no text called 'shakespeare'.*pride_and_prejudice"):
        load_text("shakespeare")
    with pytest.raises(TypeError, match="as a string.*got int"):
        load_text(3)
    assert TEXTS == ("pride_and_prejudice",)


def test_readme_states_the_numbers_the_files_hold():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "5163 first names" in readme and f"{len(load_text())} characters" in readme
    assert "public domain" in readme.lower() and "Licence" in readme
    for path in [*DATA.glob("*.txt"), DATA / "digits.npz"]:
        assert f"## {path.name}" in readme, path.name
        size = f"({round(path.stat().st_size / 1000)} kB)"
        assert size in readme, (path.name, size)


def test_package_data_lists_every_data_file():
    """pyproject.toml's package-data must cover the files, or an installed grad lacks them."""
    text = (ROOT / "pyproject.toml").read_text()
    section = re.search(r'^\[tool\.setuptools\.package-data\]\n"grad\.data" = \[(.*?)\]', text, re.M)
    assert section, "no package-data entry for grad.data in pyproject.toml"
    patterns = re.findall(r'"([^"]+)"', section.group(1))
    files = [p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".py"
             and not p.name.endswith(".pyc")]
    assert files
    for name in files:
        assert any(fnmatch.fnmatch(name, pat) for pat in patterns), name
    assert Path(grad.data.__file__).parent == DATA


def test_digits_are_1797_images_of_8x8_whole_numbers_with_a_stratified_split():
    import numpy as np
    d = grad.data.load_digits()
    assert d.images.shape == (1797, 8, 8) and d.images.dtype == np.float64
    assert d.target.shape == (1797,) and d.target.dtype == np.int64
    assert np.array_equal(d.images, np.round(d.images)) and d.images.min() == 0 and d.images.max() == 16
    assert set(d.target.tolist()) == set(range(10))
    assert len(d.train) == 1437 and len(d.test) == 360
    assert sorted(np.concatenate([d.train, d.test]).tolist()) == list(range(1797))  # a partition
    for digit in range(10):  # stratified: each digit in the test set at its share of the whole
        share = np.mean(d.target == digit)
        assert abs(np.mean(d.target[d.test] == digit) - share) < 1 / 360 + 1e-9
    e = grad.data.load_digits()
    e.images[0, 0, 0] = 99.0
    assert grad.data.load_digits().images[0, 0, 0] == d.images[0, 0, 0]  # a fresh copy each call


def test_digits_are_scikit_learns_and_so_is_the_split():
    np = pytest.importorskip("numpy")
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    ours, theirs = grad.data.load_digits(), datasets.load_digits()
    assert np.array_equal(ours.images, theirs.images) and np.array_equal(ours.target, theirs.target)
    X = ours.images.reshape(len(ours.images), -1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, ours.target, test_size=0.2, random_state=0, stratify=ours.target)
    assert np.array_equal(X[ours.train], X_train) and np.array_equal(X[ours.test], X_test)
    assert np.array_equal(ours.target[ours.train], y_train)
