"""The deliberately broken copy of prod: the repository's real program, run unchanged, with a stack
transformation that injects the violations listed in breakage.py into its resources.

Legacy (SDK-side) transformations run inside the program, so they also run under the preflight's mocks; the
engine-side transforms would not. Settings refuse unsafe stack files, which is why the breakage is injected
here, after settings and components have done their work, exactly where a careless edit would land.

`components` and `settings` are symlinks to the repository's packages: imported through this directory, they
are this program's own modules, which the preflight drops after the run like any program's, so a later run of
the real program starts fresh.
"""

import runpy
from pathlib import Path

import breakage
import pulumi

REAL_PROGRAM = Path(__file__).resolve().parents[3] / "__main__.py"

injector = breakage.Injector(breakage.BREAKAGES)
pulumi.runtime.register_stack_transformation(injector)
runpy.run_path(str(REAL_PROGRAM), run_name="__main__")
# A breakage whose target no longer exists would silently test nothing: fail the program instead.
injector.require_all_applied()
