"""The cycles minting canister (CMC) at its mainnet id rkp4c-7iaaa-aaaaa-aaaca-cai, as much of it
as a one-subnet replica without an ICP ledger can honestly answer (issue 13 item 4).

Interface: `cycles_minting.did`, the IC's `rs/nns/cmc/cmc.did` verbatim. What each method does here:

- `get_default_subnets` (query): this replica's one subnet. icp-cli asks it before creating a
  canister and passes the answer to the cycles ledger's `create_canister` as `subnet_selection`.
- `get_subnet_types_to_subnets`, `get_principals_authorized_to_create_canisters_to_subnets`
  (queries): empty maps, as on a network whose only subnet is a default one.
- `get_icp_xdr_conversion_rate` (query): the CMC's built-in default rate (1 ICP = 100 XDR, dated
  10 May 2021, `DEFAULT_XDR_PERMYRIAD_PER_ICP_CONVERSION_RATE`), certified as the real one is:
  the canister's certified data is the root of the tree `ICP_XDR_CONVERSION_RATE` and
  `AVERAGE_ICP_XDR_CONVERSION_RATE` -> Candid `IcpXdrConversionRate`, and the reply carries the
  witness and the replica's data certificate.
- `notify_top_up`, `notify_create_canister`, `notify_mint_cycles`: there is no ICP ledger on this
  replica, so no block can be fetched: `Err(Other { error_code = 2 (FailedToFetchBlock) })`.
- `create_canister` (for canisters that attach cycles): this replica does not deliver the cycles a
  canister attaches to a call to a Python canister, so the CMC received 0 and refunds 0:
  `Err(Refunded)`. Users and tools create canisters through the cycles ledger.
- `set_authorized_subnetwork_list`, `update_subnet_type`, `change_subnet_type_assignment`: callable
  by the NNS governance canister only, which this replica does not host: rejected.
"""

from __future__ import annotations

from pathlib import Path

from replica.runtime.contract import CallContext, CanisterReject, CanisterTrap

CANISTER_ID_TEXT = "rkp4c-7iaaa-aaaaa-aaaca-cai"
DID_TEXT = Path(__file__).with_name("cycles_minting.did").read_text()
ICP_LEDGER_TEXT = "ryjl3-tyaaa-aaaaa-aaaba-cai"
GOVERNANCE_TEXT = "rrkah-fqaaa-aaaaa-aaaaq-cai"
DEFAULT_XDR_PERMYRIAD_PER_ICP = 1_000_000  # 1 ICP = 100 XDR (rs/nns/cmc/src/lib.rs)
DEFAULT_RATE_TIMESTAMP_SECONDS = 1_620_633_600  # 10 May 2021 10:00:00 CEST
RATE_LABEL = b"ICP_XDR_CONVERSION_RATE"
AVERAGE_RATE_LABEL = b"AVERAGE_ICP_XDR_CONVERSION_RATE"
FAILED_TO_FETCH_BLOCK = 2  # NotifyErrorCode::FailedToFetchBlock
BUILD_METADATA = "internet-identity-py: a Python cycles minting canister (no ICP ledger, one subnet)"


class CyclesMintingCanister:
    name = "cycles_minting"
    did_text = DID_TEXT

    def __init__(self, *, subnet_id: bytes):
        from ic import candid, hash_tree
        from ic.principal import Principal

        self.canister_id = Principal.from_text(CANISTER_ID_TEXT)
        self.subnet = Principal.from_bytes(subnet_id)
        did = candid.parse_did(DID_TEXT)
        self.rate = {"timestamp_seconds": DEFAULT_RATE_TIMESTAMP_SECONDS,
                     "xdr_permyriad_per_icp": DEFAULT_XDR_PERMYRIAD_PER_ICP}
        leaf = candid.encode([did.lookup("IcpXdrConversionRate")], [self.rate])
        self._tree = hash_tree.build_tree({RATE_LABEL: leaf, AVERAGE_RATE_LABEL: leaf})
        self._witness = hash_tree.prune(self._tree, [[RATE_LABEL]])

    def certified_data(self) -> bytes:
        """What the replica sets as this canister's certified data when it registers it."""
        from ic import hash_tree

        return hash_tree.reconstruct(self._tree)

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            raise CanisterTrap(f"the cycles minting canister has no method '{method}'")
        return [handler(ctx, *args)]

    # -- queries ----------------------------------------------------------------------------------

    def _get_default_subnets(self, ctx: CallContext) -> list:
        return [self.subnet]

    def _get_subnet_types_to_subnets(self, ctx: CallContext) -> dict:
        return {"data": []}

    def _get_principals_authorized_to_create_canisters_to_subnets(self, ctx: CallContext) -> dict:
        return {"data": []}

    def _get_build_metadata(self, ctx: CallContext) -> str:
        return BUILD_METADATA

    def _get_icp_xdr_conversion_rate(self, ctx: CallContext) -> dict:
        from ic import cbor, hash_tree

        certificate = ctx.data_certificate()
        if certificate is None:  # only a query has a data certificate (the IC's CMC traps too)
            raise CanisterTrap("get_icp_xdr_conversion_rate: no data certificate (call it as a query)")
        return {"data": self.rate, "hash_tree": cbor.encode(hash_tree.encode_tree(self._witness)),
                "certificate": certificate}

    # -- ICP payments (there is no ICP ledger here) --------------------------------------------

    def _no_ledger(self, block_index: int) -> dict:
        return {"Err": {"Other": {
            "error_code": FAILED_TO_FETCH_BLOCK,
            "error_message": f"Failed to fetch block {block_index}: the ICP ledger {ICP_LEDGER_TEXT} is not hosted"
                             " on this replica; fund canisters with cycles through the cycles ledger"
                             " um5iw-rqaaa-aaaaq-qaaba-cai instead",
        }}}

    def _notify_top_up(self, ctx: CallContext, arg: dict) -> dict:
        return self._no_ledger(arg["block_index"])

    def _notify_create_canister(self, ctx: CallContext, arg: dict) -> dict:
        return self._no_ledger(arg["block_index"])

    def _notify_mint_cycles(self, ctx: CallContext, arg: dict) -> dict:
        return self._no_ledger(arg["block_index"])

    def _create_canister(self, ctx: CallContext, arg: dict) -> dict:
        return {"Err": {"Refunded": {
            "refund_amount": 0,
            "create_error": "Creating a canister through the cycles minting canister needs the cycles attached to"
                            " the call, but this replica does not deliver cycles to its Python canisters: 0 cycles"
                            " were received. Create canisters with the cycles ledger's create_canister or with"
                            " aaaaa-aa create_canister instead.",
        }}}

    # -- NNS governance only ----------------------------------------------------------------------

    def _governance_only(self, ctx: CallContext, method: str):
        raise CanisterReject(f"{method}: only the NNS governance canister {GOVERNANCE_TEXT} may call this method,"
                             f" not {ctx.caller.to_text()}")

    def _set_authorized_subnetwork_list(self, ctx: CallContext, arg: dict):
        self._governance_only(ctx, "set_authorized_subnetwork_list")

    def _update_subnet_type(self, ctx: CallContext, arg: dict):
        self._governance_only(ctx, "update_subnet_type")

    def _change_subnet_type_assignment(self, ctx: CallContext, arg: dict):
        self._governance_only(ctx, "change_subnet_type_assignment")
