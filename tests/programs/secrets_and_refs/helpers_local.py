"""A module of the program itself: the preflight must drop it from sys.modules after each run."""

LOADED = True
