"""`python -m bench.registration`: see run.py."""

from bench.registration.run import main

main()
