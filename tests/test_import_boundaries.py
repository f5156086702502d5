"""torch, torchvision and transformers are imported only inside refcat/refvos_model (DESIGN.md):
annotating, agreement and analysis work on a machine without them."""

import subprocess
import sys
from pathlib import Path

import refcat

BLOCKER = """
import importlib, importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "transformers"):
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
import refcat
names = [m.name for m in pkgutil.walk_packages(refcat.__path__, "refcat.")
         if not m.name.startswith("refcat.refvos_model") and m.name != "refcat.__main__"]
for name in names:
    importlib.import_module(name)
from refcat.cli import build_parser
build_parser()
print(len(names))
"""


def test_everything_outside_the_model_imports_without_torch():
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER],
        capture_output=True,
        text=True,
        cwd=Path(refcat.__file__).parents[1],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 40  # every module was imported, not a handful
