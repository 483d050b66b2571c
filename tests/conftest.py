import os

from hypothesis import HealthCheck, settings

# Shared, noisy machines: no per-example deadline. CI=true runs more examples, always the
# same ones (derandomized), so a CI run never fails by drawing an unlucky example; local
# runs draw new examples each time, and a failure they find is kept in .hypothesis/.
settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), max_examples=150,
                          derandomize=True, database=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# Two suites run only on request, by their own make targets, which install what they need:
# tests/torch compares with PyTorch itself (`make test-torch`); tests/browser drives the
# course in JupyterLab and Chromium (`make test-browser`).
collect_ignore = [name for name, var in (("torch", "GRAD_TEST_TORCH"), ("browser", "GRAD_TEST_BROWSER"))
                  if not os.environ.get(var)]
