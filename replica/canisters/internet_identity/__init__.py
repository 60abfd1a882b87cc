"""The Internet Identity canister, in Python, for the local replica.

`InternetIdentityCanister(canister_id, storage, *, dummy_captcha, init=None, random=os.urandom)`
implements the real II's interface (`internet_identity.did`, see SOURCE.md) on a
`replica.storage.Storage` (`replica.storage.open_storage(path)`).
"""

from replica.canisters.internet_identity.canister import InternetIdentityCanister

__all__ = ["InternetIdentityCanister"]
