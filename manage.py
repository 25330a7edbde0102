#!/usr/bin/env python
"""Django's command-line utility for LFR Portal."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lfr_portal.settings.local")
    from lfr_portal.startup import run_cli

    run_cli(sys.argv)


if __name__ == "__main__":
    main()
