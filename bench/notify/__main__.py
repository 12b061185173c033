"""`python -m bench.notify`: see run.py."""

from bench.notify.run import main

main()
