"""The system canisters icp-cli needs (issue 13 item 4): the cycles minting canister's subnet and
rate queries, and the cycles ledger's balances, fees, deduplication, approvals, canister creation
and withdrawal through aaaaa-aa, ICRC-3 blocks with their certificate, and durability."""

from __future__ import annotations

import pytest

from ic import candid
from ic.principal import Principal
from replica.canisters.cycles_ledger import ANONYMOUS_GENESIS, FEE, IDENTITY_SEED, value_hash
from replica.http.testing import make_replica, verified_tree
from replica.runtime.dispatch import parse_methods

ALICE = Principal.self_authenticating(b"\x01" * 44)
BOB = Principal.self_authenticating(b"\x02" * 44)
ANON = Principal.anonymous()
T = 10 ** 12


def account(owner, sub: bytes | None = None) -> dict:
    return {"owner": owner, "subaccount": None if sub is None else [sub]}


class System:
    """Calls the replica's Python canisters in-process, each update in its own transaction."""

    def __init__(self, replica):
        self.replica = replica
        self.ledger = replica.system_canisters["cycles_ledger"]
        self.cmc = replica.system_canisters["cycles_minting"]
        self.methods = {c.canister_id.raw: parse_methods(c.did_text) for c in (self.ledger, self.cmc)}
        self.now = replica.clock()

    def call(self, canister, method: str, *args, caller=ALICE):
        signature = self.methods[canister.canister_id.raw][method]
        arg = candid.encode(signature.arg_types, list(args))
        with self.replica.storage.transaction():
            outcome = self.replica.runtime.execute(canister.canister_id.raw, method, arg, caller.raw,
                                                   as_query=signature.is_query, time_ns=self.now)
        if not outcome.replied:
            raise AssertionError(f"{method} rejected: {outcome.reject_message}")
        (result,) = candid.decode(outcome.reply, signature.result_types)
        return result

    def rejected(self, canister, method: str, *args, caller=ALICE) -> str:
        signature = self.methods[canister.canister_id.raw][method]
        outcome = self.replica.runtime.execute(canister.canister_id.raw, method,
                                               candid.encode(signature.arg_types, list(args)), caller.raw,
                                               as_query=signature.is_query, time_ns=self.now)
        assert not outcome.replied
        return outcome.reject_message

    def ledger_call(self, method: str, *args, caller=ALICE):
        return self.call(self.ledger, method, *args, caller=caller)

    def balance(self, owner, sub: bytes | None = None) -> int:
        return self.ledger_call("icrc1_balance_of", account(owner, sub))

    def supply(self) -> int:
        return self.ledger_call("icrc1_total_supply")

    def log_length(self) -> int:
        return self.ledger_call("icrc3_get_blocks", [{"start": 0, "length": 0}])["log_length"]

    def transfer(self, to, amount: int, *, caller=ALICE, **extra):
        args = {"from_subaccount": None, "to": to, "amount": amount, "fee": None, "memo": None,
                "created_at_time": None}
        args.update(extra)
        return self.ledger_call("icrc1_transfer", args, caller=caller)

    def create(self, amount: int = 2 * T, *, caller=ALICE, settings=None, subnet_selection=None, **extra):
        args = {"from_subaccount": None, "created_at_time": None, "amount": amount,
                "creation_args": [{"settings": None if settings is None else [settings],
                                   "subnet_selection": None if subnet_selection is None else [subnet_selection]}]}
        args.update(extra)
        return self.ledger_call("create_canister", args, caller=caller)


@pytest.fixture
def system(tmp_path, clock):
    replica = make_replica(tmp_path, clock=clock)
    yield System(replica)
    replica.close()


def test_the_cmc_offers_this_replicas_one_subnet_and_a_certified_rate(system):
    subnet = Principal.from_bytes(system.replica.state.subnet_id)
    assert system.call(system.cmc, "get_default_subnets") == [subnet]
    assert system.call(system.cmc, "get_subnet_types_to_subnets") == {"data": []}
    answer = system.call(system.cmc, "get_icp_xdr_conversion_rate")
    assert answer["data"] == {"timestamp_seconds": 1_620_633_600, "xdr_permyriad_per_icp": 1_000_000}
    from ic import cbor, hash_tree

    tree = verified_tree(answer["certificate"], system.replica)
    certified = hash_tree.lookup_value(tree, [b"canister", system.cmc.canister_id.raw, b"certified_data"])
    witness = hash_tree.decode_tree(cbor.decode(answer["hash_tree"]))
    assert hash_tree.reconstruct(witness) == certified
    leaf = hash_tree.lookup_value(witness, [b"ICP_XDR_CONVERSION_RATE"])
    rate_type = candid.parse_did(system.cmc.did_text).lookup("IcpXdrConversionRate")
    assert candid.decode(leaf, [rate_type]) == [answer["data"]]


def test_icp_payments_fail_without_an_icp_ledger(system):
    answer = system.call(system.cmc, "notify_create_canister",
                         {"block_index": 7, "controller": ALICE, "subnet_type": None, "subnet_selection": None,
                          "settings": None})
    assert answer["Err"]["Other"]["error_code"] == 2
    assert "ICP ledger ryjl3-tyaaa-aaaaa-aaaba-cai is not hosted" in answer["Err"]["Other"]["error_message"]


def test_genesis_and_identity_funding(system):
    assert system.balance(ANON) == ANONYMOUS_GENESIS
    assert system.supply() == ANONYMOUS_GENESIS
    # An identity reads as funded at once; it is minted (and counted) on its first update.
    assert system.balance(ALICE) == IDENTITY_SEED
    assert system.balance(ALICE, b"\x01" * 32) == 0  # only the default account
    assert system.balance(system.cmc.canister_id) == 0  # and only self-authenticating principals
    assert system.supply() == ANONYMOUS_GENESIS
    assert system.transfer(account(BOB), 1 * T) == {"Ok": 3}  # genesis, alice's seed, bob's seed, the transfer
    assert system.balance(ALICE) == IDENTITY_SEED - T - FEE
    assert system.balance(BOB) == IDENTITY_SEED + T
    assert system.supply() == ANONYMOUS_GENESIS + 2 * IDENTITY_SEED - FEE
    assert system.ledger_call("icrc1_fee") == FEE and system.ledger_call("icrc1_decimals") == 12
    assert system.ledger_call("icrc1_symbol") == "TCYCLES"


def test_transfer_refusals_change_nothing(system):
    before = (system.balance(ALICE), system.supply(), system.log_length())
    assert system.transfer(account(BOB), 1, fee=[1]) == {"Err": {"BadFee": {"expected_fee": FEE}}}
    assert system.transfer(account(BOB), IDENTITY_SEED) == {"Err": {"InsufficientFunds": {"balance": IDENTITY_SEED}}}
    denied = system.transfer(account(Principal.from_bytes(b"")), 1)
    assert denied["Err"]["GenericError"]["error_code"] == 100001
    assert system.transfer(account(BOB), 1, created_at_time=[system.now - 25 * 3600 * 10 ** 9]) == {"Err": {"TooOld": None}}
    assert system.transfer(account(BOB), 1, created_at_time=[system.now + 120 * 10 ** 9]) == \
        {"Err": {"CreatedInFuture": {"ledger_time": system.now}}}
    assert "memo length exceeds the maximum of 32 bytes" in system.rejected(
        system.ledger, "icrc1_transfer", {"from_subaccount": None, "to": account(BOB), "amount": 1, "fee": None,
                                          "memo": [b"x" * 33], "created_at_time": None})
    assert (system.balance(ALICE), system.supply(), system.log_length()) == before


def test_a_transfer_with_created_at_time_is_deduplicated(system):
    first = system.transfer(account(BOB), 5, created_at_time=[system.now])
    assert system.transfer(account(BOB), 5, created_at_time=[system.now]) == \
        {"Err": {"Duplicate": {"duplicate_of": first["Ok"]}}}
    assert system.transfer(account(BOB), 5, created_at_time=[system.now + 1])["Ok"] == first["Ok"] + 1


def test_approve_then_transfer_from(system):
    spender = account(BOB)
    approved = system.ledger_call("icrc2_approve", {
        "from_subaccount": None, "spender": spender, "amount": 3 * T, "expected_allowance": None,
        "expires_at": [system.now + 10 ** 12], "fee": None, "memo": None, "created_at_time": None})
    assert "Ok" in approved
    assert system.ledger_call("icrc2_allowance", {"account": account(ALICE), "spender": spender}) == \
        {"allowance": 3 * T, "expires_at": [system.now + 10 ** 12]}
    moved = system.ledger_call("icrc2_transfer_from", {
        "spender_subaccount": None, "from": account(ALICE), "to": account(ANON), "amount": T, "fee": None,
        "memo": None, "created_at_time": None}, caller=BOB)
    assert "Ok" in moved
    assert system.balance(ALICE) == IDENTITY_SEED - FEE - T - FEE
    left = system.ledger_call("icrc2_allowance", {"account": account(ALICE), "spender": spender})["allowance"]
    assert left == 2 * T - FEE
    too_much = system.ledger_call("icrc2_transfer_from", {
        "spender_subaccount": None, "from": account(ALICE), "to": account(ANON), "amount": 2 * T, "fee": None,
        "memo": None, "created_at_time": None}, caller=BOB)
    assert too_much == {"Err": {"InsufficientAllowance": {"allowance": left}}}
    listed = system.ledger_call("icrc103_get_allowances", {"from_account": [account(ALICE)], "prev_spender": None,
                                                           "take": None})
    assert [entry["allowance"] for entry in listed["Ok"]] == [left]
    assert "self approval is not allowed" in system.rejected(system.ledger, "icrc2_approve", {
        "from_subaccount": None, "spender": account(ALICE, b"\x01" * 32), "amount": 1, "expected_allowance": None,
        "expires_at": None, "fee": None, "memo": None, "created_at_time": None})


def test_create_canister_charges_amount_and_fee_and_makes_the_caller_controller(system):
    subnet = Principal.from_bytes(system.replica.state.subnet_id)
    created = system.create(2 * T, subnet_selection={"Subnet": {"subnet": subnet}})["Ok"]
    hosted = system.replica.host.get(created["canister_id"].raw)
    assert hosted.controllers == [ALICE.raw]
    assert hosted.engine.state.cycles == 2 * T
    assert system.balance(ALICE) == IDENTITY_SEED - 2 * T - FEE
    block = system.ledger_call("icrc3_get_blocks", [{"start": created["block_id"], "length": 1}])["blocks"][0]
    tx = dict(dict(block["block"]["Map"])["tx"]["Map"])
    assert tx["op"] == {"Text": "burn"} and tx["amt"] == {"Nat": 2 * T} and tx["memo"] == {"Blob": bytes([0xFE] * 32)}
    other = system.create(T, settings={"controllers": [[BOB]]})["Ok"]
    assert system.replica.host.get(other["canister_id"].raw).controllers == [BOB.raw]


def test_a_failed_creation_is_refunded_less_the_fees(system):
    before = system.balance(ALICE)
    failed = system.create(T, subnet_selection={"Subnet": {"subnet": ALICE}})["Err"]["FailedToCreate"]
    assert "this replica's only subnet is" in failed["error"]
    assert failed["fee_block"] and failed["refund_block"]
    assert system.balance(ALICE) == before - 2 * FEE  # burn (amount + fee), refund (amount - fee)
    assert system.create(IDENTITY_SEED) == {"Err": {"InsufficientFunds": {"balance": before - 2 * FEE}}}


def test_withdraw_tops_up_a_wasm_canister_and_refunds_a_missing_one(system):
    canister = system.create(T)["Ok"]["canister_id"]
    args = {"amount": T, "from_subaccount": None, "to": canister, "created_at_time": None}
    assert "Ok" in system.ledger_call("withdraw", args)
    assert system.replica.host.get(canister.raw).engine.state.cycles == 2 * T
    assert system.ledger_call("withdraw", dict(args, to=BOB)) == {"Err": {"InvalidReceiver": {"receiver": BOB}}}
    before = system.balance(ALICE)
    missing = system.ledger_call("withdraw", dict(args, to=system.cmc.canister_id))["Err"]["FailedToWithdraw"]
    assert missing["rejection_code"] == {"DestinationInvalid": None}
    assert system.balance(ALICE) == before - 2 * FEE
    assert "less than the cycles ledger fee" in system.rejected(system.ledger, "deposit",
                                                                 {"to": account(ALICE), "memo": None})


def test_blocks_chain_and_the_tip_is_certified(system):
    system.transfer(account(BOB), T)
    result = system.ledger_call("icrc3_get_blocks", [{"start": 0, "length": 100}])
    blocks = [entry["block"] for entry in result["blocks"]]
    assert result["log_length"] == len(blocks) == 4
    for previous, block in zip(blocks, blocks[1:]):
        assert dict(block["Map"])["phash"] == {"Blob": value_hash(previous)}
    tip = system.ledger_call("icrc3_get_tip_certificate")[0]
    from ic import cbor, hash_tree

    tree = verified_tree(tip["certificate"], system.replica)
    certified = hash_tree.lookup_value(tree, [b"canister", system.ledger.canister_id.raw, b"certified_data"])
    witness = hash_tree.decode_tree(cbor.decode(tip["hash_tree"]))
    assert hash_tree.reconstruct(witness) == certified
    assert hash_tree.lookup_value(witness, [b"last_block_hash"]) == value_hash(blocks[-1])
    assert hash_tree.lookup_value(witness, [b"last_block_index"]) == bytes([3])


def test_balances_blocks_and_the_certified_tip_survive_a_restart(tmp_path, clock):
    first = System(make_replica(tmp_path, clock=clock))
    first.transfer(account(BOB), T)
    blocks = first.ledger_call("icrc3_get_blocks", [{"start": 0, "length": 100}])
    first.replica.close()
    second = System(make_replica(tmp_path, clock=clock))
    try:
        assert second.balance(ALICE) == IDENTITY_SEED - T - FEE
        assert second.balance(BOB) == IDENTITY_SEED + T
        assert second.ledger_call("icrc3_get_blocks", [{"start": 0, "length": 100}]) == blocks
        tip = second.ledger_call("icrc3_get_tip_certificate")[0]
        from ic import cbor, hash_tree

        tree = verified_tree(tip["certificate"], second.replica)
        certified = hash_tree.lookup_value(tree, [b"canister", second.ledger.canister_id.raw, b"certified_data"])
        assert hash_tree.reconstruct(hash_tree.decode_tree(cbor.decode(tip["hash_tree"]))) == certified
    finally:
        second.replica.close()
