"""``python -m server``: the same as ``shuoshi-server``."""

import sys

from server.cli import main

sys.exit(main())
