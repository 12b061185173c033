"""`python -m bench.ops`: see run.py."""

from bench.ops.run import main

main()
