"""Node signatures on query responses (ic-interface-facts §7).

The node signs `\\x0Bic-response ‖ hash_of_map(M)` where M is the response's `status` and reply or
reject fields plus `timestamp` (ns) and `request_id`; agent-js checks it with the node key it
reads from `/subnet/<sid>/node/<nid>/public_key`.
"""

from __future__ import annotations

from replica.certification.keys import RESPONSE_DOMAIN, NodeKey
from replica.certification.request_status import Outcome


def query_response(outcome: Outcome, *, request_id: bytes, node: NodeKey, node_id: bytes, timestamp_ns: int) -> dict:
    """The CBOR-ready body of a query answer, with exactly one node signature."""
    from ic.request_id import request_id as hash_of_map

    if outcome.replied:
        fields: dict = {"status": "replied", "reply": {"arg": outcome.reply}}
    else:
        fields = {
            "status": "rejected",
            "reject_code": outcome.reject_code,
            "reject_message": outcome.reject_message,
            "error_code": outcome.error_code,
        }
    signed = dict(fields, timestamp=timestamp_ns, request_id=request_id)
    signature = node.sign(RESPONSE_DOMAIN + hash_of_map(signed))
    return dict(fields, signatures=[{"timestamp": timestamp_ns, "signature": signature, "identity": node_id}])
