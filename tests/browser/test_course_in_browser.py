"""The course in a real browser: JupyterLab + headless Chromium (`make test-browser`).

For each notebook with an interactive piece: open it with no restored workspace, run every
cell, wait for the kernel, and check that widgets render, that drawn graphs appear as SVG,
that moving each control really changes what the widget shows, and that no cell shows an
unexpected error and the browser logs no error. Screenshots of each widget after the
interaction go to browser-screenshots/.
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


def notebook_tags(path: Path) -> list[list[str]]:
    """Each cell's tags, in order."""
    return [c.get("metadata", {}).get("tags", []) for c in json.loads(path.read_text())["cells"]]


def widget_notebooks() -> list[str]:
    names = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        if WIDGET.search(code):
            names.append(path.name)
    return names


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

# What a widget shows, without its own controls (slider readouts change by themselves).
SIGNATURE = """(root) => {
  const copy = root.cloneNode(true);
  copy.querySelectorAll('.widget-readout, .widget-label, .widget-slider, .noUi-target, input, ' +
                        'select, button, .widget-dropdown, .widget-toggle-buttons').forEach(e => e.remove());
  return copy.innerHTML;
}"""


def wait(page, js: str, timeout: float, what: str, arg=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(js, arg) if arg is not None else page.evaluate(js):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_all(page, tags: list[list[str]]) -> list[dict]:
    """Run every cell; where a cell tagged raises-exception stops the run, go on below it."""
    code_tags = [t for t in tags]
    page.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
    for _ in range(len(tags) + 1):
        wait(page, f"""() => ({KERNEL_IDLE})() && !({CELL_STATES})().some(c => c && c.running)""",
             180, "the notebook to finish running")
        page.wait_for_timeout(300)
        if not page.evaluate(KERNEL_IDLE):
            continue
        states = page.evaluate(CELL_STATES)
        pending = [i for i, c in enumerate(states) if c and c.get("source") and c["count"] is None]
        if not pending:
            return states
        stopped_by = [i for i, c in enumerate(states[:pending[0]]) if c and c["errors"]]
        assert stopped_by and "raises-exception" in code_tags[stopped_by[-1]], (
            f"cell {pending[0]} did not run; errors so far: "
            f"{[(i, states[i]['errors']) for i in stopped_by]}")
        page.evaluate(f"""() => {{ {NOTEBOOK}.content.activeCellIndex = {pending[0]};
                                   return jupyterapp.commands.execute('notebook:run-all-below'); }}""")
    raise AssertionError("the notebook never finished running")


def signature(container) -> str:
    return container.evaluate(SIGNATURE)


def wait_for_change(page, container, before: str, what: str, timeout: float = 20) -> None:
    """Wait until the widget shows something else, then until it has finished redrawing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = signature(container)
        if now != before:
            while time.monotonic() < deadline + 10:
                page.wait_for_timeout(500)
                now, previous = signature(container), now
                if now == previous:
                    return
            return
    raise AssertionError(f"{what} did not change what the widget shows within {timeout:.0f} s")


def interact(page, container, label: str) -> int:
    """Move every slider, press every button, pick another option in every dropdown; each
    action must change what the widget shows. Returns how many controls were exercised."""
    actions = 0
    sliders = ".noUi-target:not([disabled]) .noUi-handle"
    for i in range(container.locator(sliders).count()):
        handle = container.locator(sliders).nth(i)
        before = signature(container)
        for key in ("ArrowRight", "ArrowLeft"):  # a slider at its end only moves one way
            handle.focus()
            for _ in range(2):
                handle.press(key)
            try:
                wait_for_change(page, container, before, f"{label}: slider {i}", timeout=8)
                actions += 1
                break
            except AssertionError:
                if key == "ArrowLeft":
                    raise
    # push buttons, and the options of toggle groups that are not already selected
    clickable = "button.jupyter-button:not([disabled]):not(.mod-active)"
    for i in range(container.locator(clickable).count()):
        button = container.locator(clickable).nth(i)
        before = signature(container)
        button.click()
        wait_for_change(page, container, before, f"{label}: button {button.inner_text()!r}")
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
def test_widget_notebook(name, lab, browser, screenshots):
    tags = notebook_tags(ROOT / "notebooks" / name)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        page.goto(f"{lab['url']}/lab/tree/{name}?reset&token={lab['token']}")
        wait(page, f"() => !!window.jupyterapp && !!{NOTEBOOK} && ({KERNEL_IDLE})()", 90,
             "JupyterLab to open the notebook and start its kernel")
        states = run_all(page, tags)

        # no error outputs, except in cells that demonstrate one on purpose
        code_cells = [(i, c) for i, c in enumerate(states) if c]
        for i, cell in code_cells:
            if cell["errors"]:
                assert "raises-exception" in tags[i], f"{name} cell {i}: {cell['errors']}"

        # widgets render (no fallback text, no widget errors)
        page.wait_for_timeout(1000)
        text = page.locator(".jp-Notebook").inner_text()
        for failure in ("Error displaying widget", "Loading widget...", "Error rendering output"):
            assert failure not in text, f"{name}: '{failure}' is shown"
        containers = page.locator(".jp-OutputArea-output:has(.jupyter-widgets)")
        assert containers.count() >= 1, f"{name}: no widget rendered"

        # drawn graphs appear as SVG
        source = (ROOT / "notebooks" / name).read_text()
        if "draw_dot(" in source or "Stepper(" in source:
            drawn = page.evaluate("""() => document.querySelectorAll('svg g.graph').length +
                [...document.querySelectorAll('.jp-RenderedSVG img')].filter(
                    img => img.src.startsWith('data:image/svg+xml') && img.src.includes('graph0')).length""")
            assert drawn >= 1, f"{name}: no Graphviz SVG on the page"

        exercised = 0
        for w in range(containers.count()):
            container = containers.nth(w)
            if container.locator(".noUi-handle, button.jupyter-button, select").count() == 0:
                continue
            container.scroll_into_view_if_needed()
            exercised += interact(page, container, f"{name} widget {w}")
            container.screenshot(path=str(screenshots / f"{Path(name).stem}-widget{w}.png"))
        assert exercised >= 1, f"{name}: no control to move"
        page.screenshot(path=str(screenshots / f"{Path(name).stem}-page.png"))
        assert not problems, f"{name}: the browser reported errors:\n" + "\n".join(problems)
    finally:
        context.close()
