"""The learner's own copies of the course notebooks.

The course's notebooks in `notebooks/` are its originals: lessons are read, run and edited
in copies in `my-notebooks/` (git-ignored), so learning never changes the originals, `git
status` stays clean and `git pull` never conflicts with a learner's work.

    python -m grad.workspace             # make or update my-notebooks/, say what changed
    python -m grad.workspace lab         # the same, then open 00 in JupyterLab
    python -m grad.workspace reset 04    # lesson 04 as the original again (yours kept as a backup)
    python -m grad.workspace status      # which copies have a newer original

Updating never overwrites a copy: new lessons are added, and copies whose original has
changed since they were made are named (each copy's origin is recorded as a content hash
in `my-notebooks/.originals.json`, so edits and file times do not matter).

Copies are marked as trusted in this user's Jupyter, as `jupyter trust` does: JupyterLab
shows saved drawings (SVG) only from notebooks it trusts, and otherwise shows a line of
text in their place until the cell is run again.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

RECORD = ".originals.json"
BACKUPS = "backups"


def course_root() -> Path:
    """The folder holding `notebooks/` (the clone of the course)."""
    here = Path(__file__).resolve().parent.parent
    if (here / "notebooks").is_dir():
        return here
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "notebooks").is_dir() and (folder / "grad").is_dir():
            return folder
    raise FileNotFoundError("the course's notebooks/ folder was not found next to the grad "
                            "package or above the current folder; run this from the course's clone")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trust(path: Path) -> Optional[str]:
    """Sign a copy of a course notebook in this user's Jupyter signature store, so that its
    saved outputs show when it is opened. Returns why it could not, or None."""
    try:
        import nbformat
        from nbformat.sign import NotebookNotary
    except ImportError:
        return None  # no Jupyter here: nothing will open the copy, nothing to trust
    try:
        NotebookNotary().sign(nbformat.read(path, as_version=4))
    except Exception as e:  # a read-only home or a broken store: the copy still works
        return f"{type(e).__name__}: {e}"
    return None


@dataclass
class Report:
    """What an update did and found."""
    workspace: Path
    added: list[str] = field(default_factory=list)
    newer_original: list[str] = field(default_factory=list)
    untrusted: Optional[str] = None  # why the copies could not be marked as trusted
    created: bool = False

    def lines(self) -> list[str]:
        out = []
        if self.created:
            out.append(f"made {self.workspace.name}/ with your own copy of each of the "
                       f"{len(self.added)} lessons: work there; the originals stay as they are")
        elif self.added:
            out.append(f"new lessons added to {self.workspace.name}/: " + ", ".join(self.added))
        if self.newer_original:
            out.append("the course has a newer version of: " + ", ".join(self.newer_original))
            out.append("  your copies are unchanged; to take the new version of one (yours is kept "
                       "as a backup):")
            out.append(f"  python -m grad.workspace reset {self.newer_original[0][:2]}")
        if self.untrusted:
            out.append(f"the copies could not be marked as trusted ({self.untrusted}): their "
                       "saved drawings show once you run their cells")
        return out


class Workspace:
    """`my-notebooks/` beside `notebooks/`: the learner's copies and the record of their origins."""

    def __init__(self, root: Optional[Path] = None, name: str = "my-notebooks"):
        self.root = Path(root) if root is not None else course_root()
        self.originals = self.root / "notebooks"
        self.folder = self.root / name
        self.record_path = self.folder / RECORD

    def _record(self) -> dict:
        try:
            return json.loads(self.record_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _save(self, record: dict) -> None:
        self.record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")

    def lessons(self) -> list[Path]:
        return sorted(self.originals.glob("*.ipynb"))

    def update(self) -> Report:
        """Copy every original that has no copy yet; name the copies with a newer original."""
        report = Report(self.folder, created=not self.folder.exists())
        self.folder.mkdir(exist_ok=True)
        record = self._record()
        for original in self.lessons():
            copy = self.folder / original.name
            if not copy.exists():
                shutil.copyfile(original, copy)
                record[original.name] = digest(original)
                report.added.append(original.name)
            elif original.name not in record:
                # a copy made by hand: treat it as made from today's original
                record[original.name] = digest(original)
            elif record[original.name] != digest(original):
                report.newer_original.append(original.name)
            if digest(copy) == record[original.name]:  # still the course's own outputs
                report.untrusted = report.untrusted or trust(copy)
        self._save(record)
        return report

    def find(self, lesson: str) -> Path:
        """The original for '04', '4', '04_autograd' or '04_autograd.ipynb'."""
        key = lesson.strip()
        for original in self.lessons():
            stem = original.stem
            if key in (original.name, stem) or (key.isdigit() and stem.split("_")[0] == f"{int(key):02d}"):
                return original
        names = ", ".join(p.stem for p in self.lessons())
        raise ValueError(f"no lesson {lesson!r}; the lessons are: {names}")

    def reset(self, lesson: str) -> Optional[Path]:
        """Make the copy of one lesson the original again. Returns the backup of the
        learner's version (None when there was no copy)."""
        original = self.find(lesson)
        self.folder.mkdir(exist_ok=True)
        copy = self.folder / original.name
        backup = None
        if copy.exists():
            backups = self.folder / BACKUPS
            backups.mkdir(exist_ok=True)
            backup = backups / f"{original.stem}.{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
            n = 1
            while backup.exists():
                backup = backups / f"{original.stem}.{time.strftime('%Y%m%d-%H%M%S')}-{n}.ipynb"
                n += 1
            shutil.move(str(copy), backup)
        shutil.copyfile(original, copy)
        trust(copy)
        record = self._record()
        record[original.name] = digest(original)
        self._save(record)
        return backup


def lab_command(workspace: Workspace, extra: Sequence[str] = ()) -> list[str]:
    """The command that opens 00 from the workspace in JupyterLab, rooted at the course's
    folder (so `grad/` is in the file browser) with the originals hidden from it."""
    from jupyter_server.services.contents.manager import ContentsManager

    hidden = list(ContentsManager().hide_globs) + ["notebooks"]
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={workspace.root}",
               "--ServerApp.ip=127.0.0.1",
               "--ContentsManager.hide_globs=" + json.dumps(hidden)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    first = next((p.name for p in workspace.lessons()), None)
    if first:
        command.append(f"{workspace.folder.name}/{first}")
    return command + list(extra)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grad.workspace", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("update", help="make or update my-notebooks/ (the default)")
    sub.add_parser("status", help="which copies have a newer original")
    lab_help = ("update, then open the course in JupyterLab (any further options, e.g. "
                "--no-browser or --ServerApp.port=8890, go to JupyterLab)")
    sub.add_parser("lab", help=lab_help, description=lab_help[0].upper() + lab_help[1:]
                   + ". `jupyter lab --help` lists JupyterLab's own options.")
    reset = sub.add_parser("reset", help="make one lesson the original again (yours kept as a backup)")
    reset.add_argument("lesson", help="its number or name, e.g. 04")
    args, extra = parser.parse_known_args(argv)
    if extra[:1] == ["--"]:  # "lab -- --no-browser": the separator is not an option for JupyterLab
        extra = extra[1:]
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    try:
        workspace = Workspace()
        if args.command == "reset":
            backup = workspace.reset(args.lesson)
            name = workspace.find(args.lesson).name
            print(f"{workspace.folder.name}/{name} is the course's original again"
                  + (f"; your version is in {backup.relative_to(workspace.root)}" if backup else ""))
            return 0
        report = workspace.update()
    except (ValueError, OSError) as e:
        print(f"grad.workspace: {e}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    if args.command == "status":
        if not report.newer_original:
            print(f"every copy in {workspace.folder.name}/ is up to date with the course")
        return 0
    print(f"your notebooks: {workspace.folder}")
    if args.command == "lab":
        command = lab_command(workspace, extra)
        sys.stdout.flush()
        os.chdir(workspace.root)
        if os.name == "nt":  # exec does not replace the process on Windows
            import subprocess
            return subprocess.call(command)
        os.execv(command[0], command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
