"""Request authentication: envelopes, ingress expiry, signatures and delegation chains
(ic-interface-facts sections 2 and 4). Every refusal is an `AuthError` naming the check that failed.
"""
