"""`python -m cgw` runs the command line."""

import sys

from cgw.cli import main

sys.exit(main())
