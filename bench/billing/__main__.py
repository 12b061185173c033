"""`python -m bench.billing`: see run.py."""

from bench.billing.run import main

main()
