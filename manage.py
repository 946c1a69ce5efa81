#!/usr/bin/env python
"""Django's command-line utility for Joined Up."""

from joinedup.__main__ import main

if __name__ == "__main__":
    main()
