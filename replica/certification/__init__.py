"""Certification: the replica's state tree, its BLS root key, certificates and query signatures
(ic-interface-facts sections 5-8)."""
