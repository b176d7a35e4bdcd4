"""Run every benchmark: python -m bench"""

import importlib
import pkgutil
from pathlib import Path

for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if info.name.startswith("_"):
        continue
    print(f"== bench.{info.name}")
    importlib.import_module(f"bench.{info.name}").main()
