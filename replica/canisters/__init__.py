"""Canisters hosted by the local replica: the Internet Identity canister and the demo `whoami`.

Each canister implements `replica.runtime.contract.Canister`: a name, an id, its Candid interface
and a `call(method, ctx, args)` that sees decoded Candid values.
"""
