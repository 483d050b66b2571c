"""The project's set-up files agree with each other and with the README."""
import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from PyPI's; None: not a Python package
CONDA_TO_PIP = {"python-graphviz": "graphviz", "graphviz": None, "python": None, "pip": None}


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~; \[]", spec.strip(), maxsplit=1)[0].lower()


def pyproject_requirements() -> dict:
    text = (ROOT / "pyproject.toml").read_text()
    found = {}
    for key in ("dependencies", "course", "test"):
        block = re.search(rf"^{key} = \[(.*?)\]", text, re.S | re.M).group(1)
        for spec in re.findall(r'"([^"]+)"', block):
            found[requirement_name(spec)] = spec
    return found


def environment_requirements(path: Path = ROOT / "environment.yml") -> dict:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].rstrip()
        m = re.match(r"^\s+- (\S.*)$", line)
        if not m or m.group(1) in ("conda-forge", "pip:", "-e ."):
            continue
        spec = m.group(1)
        name = requirement_name(spec)
        if name in CONDA_TO_PIP:
            name = CONDA_TO_PIP[name]
            if name is None:
                continue
            spec = name + spec[len(requirement_name(spec)):]
        found[name] = spec.replace(" ", "")
    return found


def test_environment_yml_and_pyproject_list_the_same_packages():
    pip, conda = pyproject_requirements(), environment_requirements()
    assert set(pip) == set(conda), (
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}")
    for name in pip:
        assert pip[name].replace(" ", "") == conda[name], f"{name}: versions differ"


def test_environment_installs_the_package_and_graphviz():
    text = (ROOT / "environment.yml").read_text()
    assert "- -e ." in text and re.search(r"^\s+- graphviz\b", text, re.M)
    assert "conda-forge" in text


def test_binder_builds_the_same_environment_then_installs_the_package():
    # repo2docker installs the environment before the repository is copied in, so the
    # package cannot be in it: postBuild installs it afterwards.
    binder = ROOT / ".binder"
    assert environment_requirements(binder / "environment.yml") == environment_requirements()
    assert not re.search(r"^\s+- -e \.", (binder / "environment.yml").read_text(), re.M)
    assert re.search(r"^\s+- -e \.", (ROOT / "environment.yml").read_text(), re.M)
    post_build = binder / "postBuild"
    assert "pip install --no-deps -e ." in post_build.read_text()
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"


def readme_commands() -> list[str]:
    """Every command line in the README's code blocks, without its comment."""
    blocks = re.findall(r"```(?:bash|powershell)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
            if line.split("#")[0].strip()]


def course_commands() -> set:
    source = (ROOT / "scripts" / "course.py").read_text()
    return set(re.findall(r'"([a-z-]+)"', re.search(r"commands = \((.*?)\)", source, re.S).group(1)))


def test_ci_runs_the_readme_test_command():
    commands = readme_commands()
    assert commands[:2] == ["bash scripts/course.sh lab", "bash scripts/course.sh test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^{re.escape(commands[1])}(\s+#.*)?$", ci, re.M)  # as the README has it
    assert re.search(r"^bash scripts/course.sh test-browser$", ci, re.M)
    assert re.search(r"^bash scripts/course.sh test-pythons$", ci, re.M)


def test_every_readme_command_names_something_that_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    for command in readme_commands():
        words = command.replace("\\", "/").split()
        if words[0] == "make":
            assert words[1] in targets, command
        elif "scripts/course.sh" in words or "scripts/course.py" in words:
            assert words[-1] in course_commands(), command
        elif "grad.workspace" in words:
            from grad.workspace import main
            subcommand = words[words.index("grad.workspace") + 1]
            assert subcommand in ("lab", "reset", "status", "update"), command
            with pytest.raises(SystemExit) as exit:
                main([subcommand, "--help"])
            assert exit.value.code == 0
        else:
            raise AssertionError(f"the README runs something this test does not know: {command}")


def test_make_is_only_a_wrapper_around_the_course_script():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "test-browser", "test-pythons", "test-torch"):
        recipe = re.search(rf"^{target}:.*\n\t(.*)$", makefile, re.M).group(1)
        assert recipe == f"@$(COURSE) {target}", (target, recipe)
    assert re.search(r"^COURSE := bash scripts/course.sh$", makefile, re.M)


def test_the_test_command_runs_unit_tests_and_strict_nbval():
    source = (ROOT / "scripts" / "course.py").read_text()
    assert re.search(r'"test": \["tests", "notebooks"\]', source)
    nbval = re.search(r"^NBVAL = \[(.*)\]$", source, re.M).group(1)
    assert all(flag in nbval for flag in ('"--nbval"', '"--nbval-current-env"',
                                          '"--nbval-sanitize-with", "tests/nbval_sanitize.cfg"'))


def test_the_course_script_runs_without_bash_or_make(tmp_path):
    """scripts/course.py with no command prints its usage; it needs only the standard library."""
    result = subprocess.run([sys.executable, "-I", str(ROOT / "scripts" / "course.py")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "python scripts/course.py lab" in result.stdout


def sanitize(text: str) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for section in parser.sections():
        text = re.sub(parser[section]["regex"], parser[section]["replace"], text)
    return text


def test_sanitize_rules():
    svg = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!DOCTYPE svg>\n'
           '<!-- Generated by graphviz version 2.43.0 -->\n<svg width="8pt">\n<g/>\n</svg>\n')
    assert sanitize(svg) == "<svg drawing>"
    assert sanitize("<grad.viz.Digraph at 0x7f3a2b1c9d50>") == "<grad.viz.Digraph at 0xADDRESS>"
    assert sanitize("one step took 21.4 ms (8 µs per node)") == "one step took TIME (TIME per node)"
    assert sanitize("grad is 64x faster") == "grad is Nx faster"
    assert sanitize("loss 0.5432 after 100 steps") == "loss 0.5432 after 100 steps"
    assert sanitize("graphs are drawn by: graphviz-pure 0.2.2 (from PyPI)") == "graphs are drawn by: ENGINE"


def test_notebook_00_shows_the_readmes_map():
    import json
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| \d\d \|.*$", readme, re.M)
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    shown = re.findall(r"^\| \d\d \|.*$", text, re.M)
    assert len(rows) >= 13 and shown == [r.replace("](notebooks/", "](") for r in rows]
