import os

from hypothesis import HealthCheck, settings

# Shared, noisy machines: no per-example deadline. CI=true runs more examples.
settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), max_examples=150)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# tests/torch compares with PyTorch itself; `make test-torch` installs torch and runs it.
collect_ignore = [] if os.environ.get("GRAD_TEST_TORCH") else ["torch"]
