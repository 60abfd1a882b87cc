"""Canister runtime: the contract canisters implement and the dispatcher that runs them."""
