"""``python -m training train|evaluate|clean ...``: the same as ``unboil``."""
import sys

from .cli import main

sys.exit(main())
