"""`python -m slr`: the same command line as the `slr` script."""

from slr.cli import main

main()
