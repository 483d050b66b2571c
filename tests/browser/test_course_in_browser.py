"""The course in a real browser: JupyterLab or Notebook 7, and headless Chromium
(`make test-browser`).

For each notebook with an interactive piece, in each of the two interfaces: open it, run
every cell, and check that every widget the committed notebook shows renders, that drawn
graphs appear as SVG, that moving each control really changes what the widget shows, and
that no cell shows an unexpected error and the browser logs no error.

Every check waits for the condition it asserts, up to a generous deadline, and a failure
says what was awaited and what the page showed instead; a screenshot of the page at that
moment goes to browser-screenshots/ (as do screenshots of each widget after interaction).
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser

WIDGET = re.compile(r"\b\w*(Explorer|Stepper)\(|\binteract\(")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Deadlines, in seconds: far beyond what a quiet machine needs, so a busy one passes too.
OPEN, RUN, RENDER, CHANGE = 180, 300, 90, 60

# How each interface opens a notebook (both are served by the same Jupyter server).
UIS = {"lab": "/lab/tree/{name}?reset", "notebook7": "/notebooks/{name}"}


def notebook_url(lab: dict, ui: str, name: str) -> str:
    path = UIS[ui].format(name=name)
    return f"{lab['url']}{path}{'&' if '?' in path else '?'}token={lab['token']}"


# A font file of the interface itself that its server refuses (Notebook 7.6 sometimes answers
# 403 for its own MathJax fonts): the text still shows, in another font, and the course
# cannot change the interface's files.
INTERFACE_FONT = re.compile(r"/static/(notebook|lab)/[^?]*\.(woff2?|ttf|otf)(\?|$)")

# The widget manager's own race, seen now and then in both interfaces: when the kernel
# connects it may re-render a saved widget view before the saved models are restored, and
# logs this; the view renders a moment later. What a learner sees is checked instead: every
# widget renders, and no "Error displaying widget" is left on the page at the end.
WIDGET_MANAGER_RACE = "Error: widget model not found"


def record_errors(page) -> list[str]:
    problems: list[str] = []

    def console(m) -> None:
        if m.type != "error":
            return
        if m.text.startswith("Failed to load resource") and INTERFACE_FONT.search(m.location.get("url", "")):
            print(f"(the interface's own font was not served: {m.location.get('url')})")
            return
        if m.text.startswith(WIDGET_MANAGER_RACE) and "@jupyter-widgets" in m.text + m.location.get("url", ""):
            print("(the widget manager re-rendered a saved view before restoring its model)")
            return
        problems.append(f"console {m.type}: {m.text} ({m.location.get('url', '')})")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


@pytest.fixture(scope="module")
def own_errors(lab, browser) -> dict:
    """The errors each interface logs by itself, on an empty notebook (Notebook 7.6 logs
    two while it loads): only errors beyond these are the course's."""
    blank = Path(lab["root"]) / "blank.ipynb"
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    blank.write_text(json.dumps({"cells": [], "metadata": kernel, "nbformat": 4, "nbformat_minor": 5}))
    found = {}
    for ui in UIS:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        problems = record_errors(page)
        try:
            page.goto(notebook_url(lab, ui, blank.name))
            wait(page, f"() => !!window.jupyterapp && !!{NOTEBOOK} && ({KERNEL_IDLE})()", OPEN,
                 f"{ui} to open an empty notebook and start its kernel", lambda: page.title())
            # errors logged until three quiet seconds after loading are the interface's too
            seen, quiet_since = -1, time.monotonic()
            while time.monotonic() - quiet_since < 3:
                if len(problems) != seen:
                    seen, quiet_since = len(problems), time.monotonic()
                page.wait_for_timeout(250)
            found[ui] = set(problems)
        finally:
            context.close()
    return found


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def widget_notebooks() -> list[str]:
    names = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "code")
        if WIDGET.search(code):
            names.append(path.name)
    return names


def committed_widgets(nb: dict) -> int:
    """How many widget views the committed (executed) notebook displays."""
    return sum(WIDGET_MIME in o.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
               for o in c.get("outputs", []))


# ---- what the page shows, read with JavaScript ------------------------------------------
NOTEBOOK = "jupyterapp.shell.currentWidget"

KERNEL_IDLE = f"""() => {{
  const nb = {NOTEBOOK};
  if (!nb || !nb.sessionContext || !nb.sessionContext.session) return false;
  const kernel = nb.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && !nb.sessionContext.pendingInput;
}}"""

CELL_STATES = f"""() => {{
  const nb = {NOTEBOOK};
  return nb.content.widgets.map(cell => {{
    const m = cell.model;
    if (m.type !== 'code') return null;
    const outputs = m.outputs.toJSON();
    return {{
      source: m.sharedModel.getSource().trim(),
      count: m.executionCount,
      running: (cell.promptNode && cell.promptNode.textContent.includes('*')) || false,
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
    }};
  }});
}}"""

SETTLED = f"() => ({KERNEL_IDLE})() && !({CELL_STATES})().some(c => c && c.running)"

WIDGET_AREAS = ".jp-OutputArea-output:has(.jupyter-widgets)"

# What the widget outputs look like now: how many rendered, and any fallback text shown.
WIDGET_REPORT = f"""() => {{
  const text = document.querySelector('.jp-Notebook') ? document.querySelector('.jp-Notebook').innerText : '';
  return {{
    rendered: document.querySelectorAll('{WIDGET_AREAS}').length,
    failures: ['Error displaying widget', 'Loading widget...', 'Error rendering output']
                .filter(f => text.includes(f)),
  }};
}}"""

SVG_COUNT = """() => document.querySelectorAll('svg g.graph').length +
  [...document.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedImage img')].filter(
      img => img.src.startsWith('data:image/svg+xml') && img.src.includes('graph0')).length"""

# What a widget shows, without its own controls (slider readouts change by themselves).
SIGNATURE = """(root) => {
  const copy = root.cloneNode(true);
  copy.querySelectorAll('.widget-readout, .widget-label, .widget-slider, .noUi-target, input, ' +
                        'select, button, .widget-dropdown, .widget-toggle-buttons').forEach(e => e.remove());
  return copy.innerHTML;
}"""


def wait(page, js: str, timeout: float, what: str, describe=None, arg=None):
    """Poll `js` until it returns something truthy and return that; after `timeout` seconds
    fail, saying what was awaited and what `describe()` reports the page showed instead."""
    deadline = time.monotonic() + timeout
    while True:
        result = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if result:
            return result
        if time.monotonic() > deadline:
            shown = f"; the page showed instead: {describe()}" if describe else ""
            raise AssertionError(f"waited {timeout:.0f} s for {what}{shown}")
        page.wait_for_timeout(200)


def wait_settled(page, what: str) -> list:
    """Wait until the kernel is idle and no cell runs, twice in a row half a second apart
    (a queued cell can leave a moment of idleness between two executions)."""
    while True:
        wait(page, SETTLED, RUN, what,
             lambda: [i for i, c in enumerate(page.evaluate(CELL_STATES)) if c and c["running"]])
        page.wait_for_timeout(500)
        if page.evaluate(SETTLED):
            return page.evaluate(CELL_STATES)


def run_all(page, tags: list[list[str]]) -> list[dict]:
    """Run every cell; where a cell tagged raises-exception stops the run, go on below it."""
    page.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
    for _ in range(len(tags) + 1):
        states = wait_settled(page, "the notebook to finish running")
        pending = [i for i, c in enumerate(states) if c and c.get("source") and c["count"] is None]
        if not pending:
            return states
        stopped_by = [i for i, c in enumerate(states[:pending[0]]) if c and c["errors"]]
        assert stopped_by and "raises-exception" in tags[stopped_by[-1]], (
            f"cell {pending[0]} did not run; errors so far: "
            f"{[(i, states[i]['errors']) for i in stopped_by]}")
        page.evaluate(f"""() => {{ {NOTEBOOK}.content.activeCellIndex = {pending[0]};
                                   return jupyterapp.commands.execute('notebook:run-all-below'); }}""")
    raise AssertionError("the notebook never finished running")


def signature(container) -> str:
    return container.evaluate(SIGNATURE)


def wait_for_change(page, container, before: str, what: str) -> None:
    """Wait until the widget shows something else, then until it has finished redrawing
    (the same picture twice, half a second apart)."""
    deadline = time.monotonic() + CHANGE
    now = signature(container)
    while now == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {CHANGE} s for {what} to change what the widget shows; "
                                 "it still shows the same picture")
        page.wait_for_timeout(250)
        now = signature(container)
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        now, previous = signature(container), now
        if now == previous:
            return


def interact(page, container, label: str) -> int:
    """Move every slider, press every button, pick another option in every dropdown; each
    action must change what the widget shows. Returns how many controls were exercised."""
    actions = 0
    sliders = ".noUi-target:not([disabled]) .noUi-handle"
    for i in range(container.locator(sliders).count()):
        handle = container.locator(sliders).nth(i)
        low, value, top = (float(handle.get_attribute(f"aria-value{a}") or 0) for a in ("min", "now", "max"))
        # drag the handle with the mouse to a quarter of the track from the end it is far
        # from (keys would go to whichever cell the notebook has focused)
        target = 0.25 if value - low > (top - low) / 2 else 0.75
        before = signature(container)
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        track = container.locator(".noUi-target:not([disabled])").nth(i).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(track["x"] + target * track["width"], y, steps=8)
        page.mouse.up()
        wait_for_change(page, container, before, f"{label}: slider {i} (dragged from {value:g} "
                                                 f"towards {target:.0%} of its range)")
        actions += 1
    # push buttons, and the options of toggle groups that are not already selected
    clickable = "button.jupyter-button:not([disabled]):not(.mod-active)"
    for i in range(container.locator(clickable).count()):
        button = container.locator(clickable).nth(i)
        before = signature(container)
        text = button.inner_text()
        button.click()
        wait_for_change(page, container, before, f"{label}: button {text!r}")
        actions += 1
    for i in range(container.locator("select").count()):
        select = container.locator("select").nth(i)
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        other = next((o for o in options if o != current), None)
        if other is None:
            continue
        before = signature(container)
        select.select_option(label=other)
        wait_for_change(page, container, before, f"{label}: dropdown {i} -> {other!r}")
        actions += 1
    return actions


@pytest.mark.parametrize("name", widget_notebooks())
@pytest.mark.parametrize("ui", list(UIS))
def test_widget_notebook(ui, name, lab, browser, screenshots, own_errors):
    nb = load(ROOT / "notebooks" / name)
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    stem = f"{ui}-{Path(name).stem}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = record_errors(page)
    try:
        page.goto(notebook_url(lab, ui, name))
        wait(page, f"() => !!window.jupyterapp && !!{NOTEBOOK} && ({KERNEL_IDLE})()", OPEN,
             f"{ui} to open {name} and start its kernel", lambda: page.title())
        states = run_all(page, tags)

        # no error outputs, except in cells that demonstrate one on purpose
        for i, cell in enumerate(states):
            if cell and cell["errors"]:
                assert "raises-exception" in tags[i], f"{name} cell {i}: {cell['errors']}"

        # every widget the committed notebook shows renders, with no fallback text
        expected = committed_widgets(nb)
        assert expected >= 1, f"{name}: the committed notebook shows no widget (re-execute it)"
        wait(page, f"() => {{ const r = ({WIDGET_REPORT})(); return r.rendered >= {expected} && !r.failures.length; }}",
             RENDER, f"{expected} rendered widget(s) in {name}", lambda: page.evaluate(WIDGET_REPORT))

        # drawn graphs appear as SVG
        source = (ROOT / "notebooks" / name).read_text()
        if "draw_dot(" in source or "Stepper(" in source:
            wait(page, SVG_COUNT, RENDER, f"a Graphviz SVG in {name}",
                 lambda: f"{page.evaluate(SVG_COUNT)} drawn graphs")

        containers = page.locator(WIDGET_AREAS)
        exercised = 0
        for w in range(containers.count()):
            container = containers.nth(w)
            if container.locator(".noUi-handle, button.jupyter-button, select").count() == 0:
                continue
            container.scroll_into_view_if_needed()
            exercised += interact(page, container, f"{ui} {name} widget {w}")
            container.screenshot(path=str(screenshots / f"{stem}-widget{w}.png"))
        assert exercised >= 1, f"{name}: no control to move"
        page.screenshot(path=str(screenshots / f"{stem}-page.png"))
        left = page.evaluate(WIDGET_REPORT)["failures"]
        assert not left, f"{name}: the page still shows {left} after the widgets were moved"
        ours = [p for p in problems if p not in own_errors[ui]]
        assert not ours, f"{name}: the browser reported errors:\n" + "\n".join(ours)
    except BaseException:
        try:
            page.screenshot(path=str(screenshots / f"{stem}-FAILED.png"), full_page=True)
        except Exception as e:  # the failure itself matters more than its picture
            print(f"no screenshot of the failure: {e}")
        raise
    finally:
        context.close()


def test_the_workspace_copies_show_their_saved_drawings_before_running(lab, browser, screenshots):
    """grad.workspace trusts the copies it makes, so the drawings saved in a lesson show as
    soon as it opens; the same notebook untrusted shows none (JupyterLab's rule for SVG).
    The server decides what is trusted, for Notebook 7 as for JupyterLab, so one interface
    is enough here."""
    ui = "lab"
    from grad.workspace import Workspace

    workspace = Workspace(lab["root"].parent, name=f"{lab['root'].name}/trusted-{ui}")
    workspace.update()  # signs in the user's Jupyter store, the one the server reads
    name = "02_value.ipynb"
    control = f"untrusted-{ui}-{name}"  # the same lesson with content no store has signed
    nb = load(lab["root"] / name)
    nb["metadata"]["control"] = f"{ui} {time.time()}"  # new content: no store has signed it
    (lab["root"] / control).write_text(json.dumps(nb))
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        counts = {}
        for path in (f"{workspace.folder.name}/{name}", control):
            page.goto(notebook_url(lab, ui, path))
            wait(page, f"() => !!window.jupyterapp && !!{NOTEBOOK} && "
                       f"document.querySelectorAll('.jp-OutputArea-output').length > 0",
                 OPEN, f"{ui} to open {path}", lambda: page.title())
            if path == control:
                page.wait_for_timeout(2000)  # give hidden drawings every chance to appear
            else:
                wait(page, f"() => ({SVG_COUNT})() >= 3", RENDER, f"the saved drawings of {path}",
                     lambda: f"{page.evaluate(SVG_COUNT)} drawn graphs")
            counts[path] = page.evaluate(SVG_COUNT)
        page.screenshot(path=str(screenshots / f"{ui}-trusted-copy.png"))
        assert counts[f"{workspace.folder.name}/{name}"] >= 3, counts
        assert counts[control] == 0, counts  # untrusted, the drawings are hidden
    finally:
        context.close()
