"""The local replica: a faithful subset of the IC HTTP interface hosting the II canister.

CPython only; never shipped to the browser.
"""
