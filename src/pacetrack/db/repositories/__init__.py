"""Repositories: every read and write of rows, one module per aggregate, reached
from the unit of work (``db.unit_of_work.DatabaseUnit``). Dialect differences live
here and nowhere above."""
