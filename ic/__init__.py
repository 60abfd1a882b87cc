"""Wire formats of the Internet Computer, in pure Python.

Shared by the browser app (under Pyodide) and the local replica (under CPython). Nothing in this
package imports `js`, `pyodide` or `pyscript`; server-only dependencies (`cryptography`, the
arkworks BLS binding) are imported lazily, only inside the functions that use them.
"""
