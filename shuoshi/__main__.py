"""``python -m shuoshi``: the same as ``shuoshi``."""

import sys

from shuoshi.cli import main

sys.exit(main())
