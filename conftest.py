"""Root pytest configuration: every test and every nbval kernel runs offline.

Set here, before anything imports huggingface_hub; nbval's kernels inherit the environment.
"""

import os

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

os.environ.update(OFFLINE_QUIET_ENVIRONMENT)
