"""``python -m cxconsole``."""

import sys

from cxconsole.cli import main

sys.exit(main())
