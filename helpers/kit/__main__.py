"""``python -m helpers.kit build|verify|info``."""

import sys

from helpers.kit.build import main

sys.exit(main())
