"""The bundle's entry point: the same `oet-desktop` command as the console script."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the embedding model's child process re-enters here
    from oet_desktop.cli import main

    sys.exit(main())
