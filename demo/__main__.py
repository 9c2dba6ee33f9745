"""``python -m demo``: the same as ``shuoshi run``."""

import sys

from demo.cli import main

sys.exit(main())
