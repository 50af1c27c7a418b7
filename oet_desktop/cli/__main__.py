"""`python -m oet_desktop.cli`."""

import sys

from oet_desktop.cli.main import main

sys.exit(main())
