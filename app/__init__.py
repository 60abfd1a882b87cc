"""The Internet Identity frontend, in Python, running in the browser under Pyodide via PyScript.

Only `app.browser` touches `js` / `pyodide` / `pyscript`; everything else is pure and runs under
CPython pytest too.
"""
