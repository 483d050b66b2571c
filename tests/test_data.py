"""grad.data: the shipped names and text load offline, hold what their README says, and
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
    for path in DATA.glob("*.txt"):
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
