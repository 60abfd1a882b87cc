"""The only place that imports `js`, `pyodide` or `pyscript`: thin adapters over browser APIs."""
