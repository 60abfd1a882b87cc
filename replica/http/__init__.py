"""HTTP: the IC HTTP interface under `/api/` (api.py) and the static site (static.py)."""
