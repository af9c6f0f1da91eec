"""``python -m benchmarks``: run every ``benchmarks/*.py`` module's ``main()`` in turn."""

import importlib
import inspect
import pkgutil
from pathlib import Path

for module_info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if module_info.name.startswith("_"):
        continue
    module = importlib.import_module(f"benchmarks.{module_info.name}")
    if callable(getattr(module, "main", None)):
        print(f"== benchmarks.{module_info.name}")
        main = module.main
        main([]) if inspect.signature(main).parameters else main()
