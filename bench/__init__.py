"""`make bench`: bench/run.py and what it uses (bench/README.md)."""
