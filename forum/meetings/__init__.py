"""B2B meetings (issue 9): solver.py is the pure scheduler; the rest comes with the web app."""
