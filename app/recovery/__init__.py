"""Recovering an identity: recovery phrases (BIP39 words and the key derived from them)."""
