"""``python -m instructor_tools.kit build|verify|info``."""

import sys

from instructor_tools.kit.cli import main

sys.exit(main())
