"""The README's images are regenerated from the package by scripts/make_assets.py."""
import importlib.util
import re
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_assets_script_draws_every_image(tmp_path):
    spec = importlib.util.spec_from_file_location("make_assets", ROOT / "scripts" / "make_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.main(str(tmp_path))
    assert {p.name for p in written} == {"neuron_graph.png", "backprop_step.png", "moons_training.png"}
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 10_000
        assert (ROOT / "assets" / path.name).exists(), f"assets/{path.name} is not committed"


def test_readme_images_exist():
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images, "the README shows no image"
    for image in images:
        assert (ROOT / image).exists(), image
