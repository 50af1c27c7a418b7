"""Validate scenario files with the app's own loader: python scripts/validate-scenarios.py [FOLDER...]"""

import sys
from pathlib import Path

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir

folders = [Path(a) for a in sys.argv[1:]] or [bundled_scenarios_dir()]
library = ScenarioLibrary.load(folders)
for result in library.results:
    for line in result.errors:
        print("ERROR  ", line)
    for line in result.warnings:
        print("WARNING", line)
print(f"{len(library.scenarios)} scenarios loaded, {len(library.errors)} errors")
sys.exit(1 if library.errors else 0)
