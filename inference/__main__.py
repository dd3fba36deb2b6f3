"""``python -m inference clean ...``: the same as ``unboil clean``."""
import sys

from .cli import main

sys.exit(main())
