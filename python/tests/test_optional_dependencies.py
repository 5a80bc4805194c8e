"""segmint imports and works without its optional dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_SKLEARN = """
import sys
sys.modules["sklearn"] = None  # any import of scikit-learn now raises ImportError
import numpy as np
import segmint
from segmint.cluster import KMeans
from segmint.exceptions import NotFittedError
X = np.random.default_rng(0).normal(size=(200, 3))
model = KMeans(3, random_state=0).fit(X)
assert model.get_params()["n_clusters"] == 3
assert model.set_params(n_clusters=4).n_clusters == 4
try:
    KMeans(2).predict(X)
except NotFittedError as exc:
    assert isinstance(exc, ValueError) and isinstance(exc, AttributeError)
else:
    raise AssertionError("predict before fit did not raise")
assert "sklearn" not in [m for m in sys.modules if sys.modules[m] is not None]
print("ok")
"""


def test_the_package_works_without_scikit_learn():
    done = subprocess.run([sys.executable, "-c", WITHOUT_SKLEARN], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("module", ["matplotlib"])
def test_the_package_imports_without(module):
    code = f"import sys; sys.modules[{module!r}] = None; import segmint, segmint.datasets, segmint.plotting; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_plotting_without_matplotlib_names_the_missing_package():
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.pyplot'] = None\n"
        "import pandas as pd, segmint\n"
        "try:\n"
        "    segmint.plotting.plot_segment_sizes(pd.Series([0, 1, 1]))\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "pip install matplotlib" in done.stdout, done.stderr
