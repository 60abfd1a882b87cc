"""The cycles ledger at its mainnet id um5iw-rqaaa-aaaaq-qaaba-cai (issue 13 item 4): ICRC-1, -2, -3,
-10, -103, -106 over cycles, and canister creation paid with them, as `dfinity/cycles-ledger` does.

Interface: `cycles_ledger.did`, the real `cycles-ledger.did` verbatim. The rules are the real
ledger's (`cycles-ledger/src/storage.rs`): a fee of 100M cycles per transfer, approval, withdrawal
and creation; `BadFee` before `InsufficientFunds`; memos of at most 32 bytes; `created_at_time`
within 24 h + 60 s drift and deduplicated; allowances that expire; the management canister
denied as an account owner; every change one ICRC-3 block (`1mint`, `1burn`, `2xfer`,
`2approve`, the real field names, `phash` chaining) whose hash and index are the certified data.

Funding, as `icp network start` does on a PocketIC network (a developer expects to be able to
create canisters at once):
- the anonymous principal's default account is funded at genesis with i128::MAX cycles (PocketIC
  seeds it so; `icp cycles transfer ... --identity anonymous` then funds anyone);
- every self-authenticating principal's default account (any icp-cli or dfx identity) starts with
  1,000T cycles, the amount `icp network start` gives each identity: the account is minted on its
  first use by an update, and reads as that amount before (`icp cycles balance` shows it).
  `icrc1_total_supply` counts accounts once they are minted.

What differs from the IC, because this replica has one subnet, no CMC of its own and no cycles
on calls to Python canisters:
- `create_canister` burns `amount` + fee and creates the canister directly through aaaaa-aa
  (`provisional_create_canister_with_cycles`, with the CMC as the creator, as on the IC) with all
  of `amount` as its balance (no creation fee); controllers default to the caller as the real
  ledger sets them. A failed creation refunds `amount` - fee (memo REFUND), as the real one does.
- `withdraw` tops up a Wasm canister of this replica (aaaaa-aa `provisional_top_up_canister`
  standing for `deposit_cycles`); any other target fails and is refunded like a rejected deposit.
- `deposit` needs cycles attached, which Python canisters do not receive here: it traps as the
  real ledger does for an amount below the fee.

State lives in the replica's SQLite `meta` table under `cycles_ledger/` keys (balances, approvals,
blocks as JSON, the tip, deduplication entries), written inside the call's transaction.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from base64 import b32encode
from pathlib import Path
from typing import Any

from replica.runtime.contract import CallContext, CanisterTrap, SystemReject

CANISTER_ID_TEXT = "um5iw-rqaaa-aaaaq-qaaba-cai"
CMC_ID_TEXT = "rkp4c-7iaaa-aaaaa-aaaca-cai"
DID_TEXT = Path(__file__).with_name("cycles_ledger.did").read_text()

FEE = 100_000_000
DECIMALS = 12
TOKEN_NAME = "Trillion Cycles"
TOKEN_SYMBOL = "TCYCLES"
MAX_MEMO_LENGTH = 32
MAX_BLOCKS_PER_REQUEST = 100
MAX_TAKE_ALLOWANCES = 500
PERMITTED_DRIFT_NS = 60 * 1_000_000_000
TRANSACTION_WINDOW_NS = 24 * 60 * 60 * 1_000_000_000
U128_MAX = 2 ** 128 - 1
U64_MAX = 2 ** 64 - 1
ANONYMOUS_GENESIS = 2 ** 127 - 1  # i128::MAX, as PocketIC seeds the anonymous account
IDENTITY_SEED = 1_000 * 10 ** 12  # 1,000T: what `icp network start` gives each identity

CREATE_CANISTER_MEMO = bytes([0xFE] * 32)
REFUND_MEMO = bytes([0xFD] * 32)
PENALIZE_MEMO = bytes([0xFF] * 32)

# GenericError codes of the real ledger.
UNKNOWN_GENERIC_ERROR = 100000
DENIED_OWNER = 100001
CANNOT_TRANSFER_FROM_ZERO = 100002
EXPIRED_APPROVAL = 100003
CANNOT_WITHDRAW_FROM_ZERO = 100002

PREFIX = "cycles_ledger/"
ZERO_SUBACCOUNT = bytes(32)
STANDARDS = [
    ("ICRC-1", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md"),
    ("ICRC-2", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md"),
    ("ICRC-3", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-3/README.md"),
    ("ICRC-10", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md"),
    ("ICRC-103", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-103/ICRC-103.md"),
    ("ICRC-106", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-106/ICRC-106.md"),
]
BLOCK_TYPES = [
    ("1burn", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md"),
    ("1mint", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md"),
    ("2xfer", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md"),
    ("2approve", "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md"),
]


class _Refusal(Exception):
    """A ledger error answered as the method's `Err` variant (nothing was written)."""

    def __init__(self, tag: str, value: Any = None):
        super().__init__(tag)
        self.tag, self.value = tag, value

    def err(self) -> dict:
        return {"Err": {self.tag: self.value}}


class _Committed(_Refusal):
    """A ledger error answered after blocks were written that stay (a refunded failure)."""


# -- accounts -------------------------------------------------------------------------------------


def _account(value: dict) -> tuple[bytes, bytes | None]:
    """A Candid `Account` as (owner, subaccount or None); a subaccount must be 32 bytes."""
    owner = bytes(value["owner"].raw)
    sub = value.get("subaccount")
    if sub is None:
        return owner, None
    sub = bytes(sub[0])
    if len(sub) != 32:
        raise CanisterTrap(f"invalid subaccount: expected 32 bytes, got {len(sub)}")
    return owner, sub


def _subaccount(value) -> bytes | None:
    if value is None:
        return None
    sub = bytes(value[0])
    if len(sub) != 32:
        raise CanisterTrap(f"invalid subaccount: expected 32 bytes, got {len(sub)}")
    return sub


def _key(account: tuple[bytes, bytes | None]) -> str:
    owner, sub = account
    return f"{owner.hex()}.{(sub or ZERO_SUBACCOUNT).hex()}"


def _candid_account(key: str) -> dict:
    from ic.principal import Principal

    owner, sub = key.split(".")
    sub_bytes = bytes.fromhex(sub)
    return {"owner": Principal.from_bytes(bytes.fromhex(owner)),
            "subaccount": None if sub_bytes == ZERO_SUBACCOUNT else [sub_bytes]}


def account_text(account: tuple[bytes, bytes | None]) -> str:
    """The ICRC-1 textual form: the principal, or `principal-checksum.subaccount-hex`."""
    from ic.principal import Principal

    owner, sub = account
    text = Principal.from_bytes(owner).to_text()
    if sub is None or sub == ZERO_SUBACCOUNT:
        return text
    checksum = b32encode(zlib.crc32(owner + sub).to_bytes(4, "big")).decode().lower().rstrip("=")
    return f"{text}-{checksum}.{sub.hex().lstrip('0')}"


def _is_self_authenticating(owner: bytes) -> bool:
    return len(owner) == 29 and owner[-1] == 0x02


def _seeded(account: tuple[bytes, bytes | None]) -> bool:
    owner, sub = account
    return _is_self_authenticating(owner) and (sub is None or sub == ZERO_SUBACCOUNT)


# -- ICRC-3 values --------------------------------------------------------------------------------


def _account_value(account: tuple[bytes, bytes | None]) -> dict:
    owner, sub = account
    return {"Array": [{"Blob": owner}] + ([{"Blob": sub}] if sub is not None else [])}


def value_hash(value: dict) -> bytes:
    """The ICRC-3 representation-independent hash of a `Value`."""
    from ic.leb128 import encode_signed, encode_unsigned

    ((tag, x),) = value.items()
    if tag in ("Nat", "Nat64"):
        data = encode_unsigned(x)
    elif tag == "Int":
        data = encode_signed(x)
    elif tag == "Text":
        data = x.encode()
    elif tag == "Blob":
        data = bytes(x)
    elif tag == "Array":
        data = b"".join(value_hash(item) for item in x)
    elif tag == "Map":
        data = b"".join(sorted(hashlib.sha256(k.encode()).digest() + value_hash(v) for k, v in x))
    else:
        raise ValueError(f"unknown ICRC-3 value {tag}")
    return hashlib.sha256(data).digest()


def _to_json(value: dict) -> Any:
    ((tag, x),) = value.items()
    if tag == "Blob":
        return {"Blob": bytes(x).hex()}
    if tag == "Array":
        return {"Array": [_to_json(v) for v in x]}
    if tag == "Map":
        return {"Map": [[k, _to_json(v)] for k, v in x]}
    return {tag: x}


def _from_json(value: dict) -> dict:
    ((tag, x),) = value.items()
    if tag == "Blob":
        return {"Blob": bytes.fromhex(x)}
    if tag == "Array":
        return {"Array": [_from_json(v) for v in x]}
    if tag == "Map":
        return {"Map": [(k, _from_json(v)) for k, v in x]}
    return {tag: x}


def _memo(value) -> bytes | None:
    if value is None:
        return None
    memo = bytes(value[0])
    if len(memo) > MAX_MEMO_LENGTH:  # the ICRC-1 ledgers trap on a long memo
        raise CanisterTrap(f"memo length exceeds the maximum of {MAX_MEMO_LENGTH} bytes")
    return memo


def _opt(value):
    return None if value is None else value[0]


class CyclesLedgerCanister:
    name = "cycles_ledger"
    did_text = DID_TEXT

    def __init__(self, storage, *, management, subnet_id: bytes):
        from ic.principal import Principal

        self.canister_id = Principal.from_text(CANISTER_ID_TEXT)
        self.cmc_id = Principal.from_text(CMC_ID_TEXT)
        self.storage = storage
        self.management = management
        self.subnet = Principal.from_bytes(subnet_id)
        if self._get("tip") is None:
            with storage.transaction():
                self._mint((Principal.anonymous().raw, None), ANONYMOUS_GENESIS, None, 0)

    # -- storage ----------------------------------------------------------------------------------

    def _get(self, name: str):
        raw = self.storage.get_meta(PREFIX + name)
        return None if raw is None else json.loads(raw)

    def _set(self, name: str, value) -> None:
        self.storage.set_meta(PREFIX + name, json.dumps(value, separators=(",", ":")).encode())

    def _stored_balance(self, key: str) -> int | None:
        return self._get(f"balance/{key}")

    def balance(self, account: tuple[bytes, bytes | None]) -> int:
        stored = self._stored_balance(_key(account))
        if stored is None:
            return IDENTITY_SEED if _seeded(account) else 0
        return stored

    def _materialize(self, account: tuple[bytes, bytes | None], now: int) -> None:
        """Mint an identity's starting cycles the first time an update touches its account."""
        if _seeded(account) and self._stored_balance(_key(account)) is None:
            self._mint((account[0], None), IDENTITY_SEED, None, now)

    def _credit(self, account, amount: int) -> None:
        key = _key(account)
        self._set(f"balance/{key}", (self._stored_balance(key) or 0) + amount)
        self._set("supply", self._get("supply") + amount)

    def _debit(self, account, amount: int) -> None:
        key = _key(account)
        self._set(f"balance/{key}", (self._stored_balance(key) or 0) - amount)
        self._set("supply", self._get("supply") - amount)

    def _tip(self) -> dict:
        return self._get("tip") or {"length": 0, "hash": None}

    def _emit(self, tx: list, now: int, effective_fee: int | None, *, created_at_time: int | None = None,
              canister: bytes | None = None) -> int:
        """Append one block (the transaction `tx` as Map entries); returns its index."""
        tip = self._tip()
        entries = [("tx", {"Map": tx}), ("ts", {"Nat": now})]
        if tip["hash"] is not None:
            entries.append(("phash", {"Blob": bytes.fromhex(tip["hash"])}))
        if effective_fee is not None:
            entries.append(("fee", {"Nat": effective_fee}))
        block = {"Map": sorted(entries)}
        index = tip["length"]
        self._set(f"block/{index}", _to_json(block))
        self._set("tip", {"length": index + 1, "hash": value_hash(block).hex()})
        if self._get("supply") is None:
            self._set("supply", 0)
        if created_at_time is not None:
            self._set(f"tx/{value_hash({'Map': tx}).hex()}", [index, canister.hex() if canister else None])
        self._certify = True
        return index

    @staticmethod
    def _tx(op: str, *, memo: bytes | None, created_at_time: int | None, **fields) -> list:
        tx = []
        if created_at_time is not None:
            tx.append(("ts", {"Nat": created_at_time}))
        if memo is not None:
            tx.append(("memo", {"Blob": memo}))
        tx.append(("op", {"Text": op}))
        for name in ("from", "to", "spender"):
            if fields.get(name) is not None:
                tx.append((name, _account_value(fields[name])))
        tx.append(("amt", {"Nat": fields["amount"]}))
        for name in ("expected_allowance", "expires_at", "fee"):
            if fields.get(name) is not None:
                tx.append((name, {"Nat": fields[name]}))
        return sorted(tx)  # a BTreeMap's order, as the real ledger's blocks show it

    def _check_tx(self, tx: list, created_at_time: int | None, now: int, *, with_canister: bool = False) -> None:
        """TooOld / CreatedInFuture / Duplicate, as `process_transaction` and `check_duplicate`."""
        if created_at_time is None:
            return
        if created_at_time + TRANSACTION_WINDOW_NS + PERMITTED_DRIFT_NS < now:
            raise _Refusal("TooOld")
        if created_at_time > now + PERMITTED_DRIFT_NS:
            raise _Refusal("CreatedInFuture", {"ledger_time": now})
        seen = self._get(f"tx/{value_hash({'Map': tx}).hex()}")
        if seen is not None:
            from ic.principal import Principal

            value = {"duplicate_of": seen[0]}
            if with_canister:
                value["canister_id"] = None if seen[1] is None else [Principal.from_bytes(bytes.fromhex(seen[1]))]
            raise _Refusal("Duplicate", value)

    def _mint(self, to, amount: int, memo: bytes | None, now: int) -> int:
        tx = self._tx("mint", memo=memo, created_at_time=None, to=to, amount=amount, fee=FEE)
        index = self._emit(tx, now, 0)
        self._credit(to, amount)
        return index

    def certified_data(self) -> bytes:
        """The root of the tip tree (`last_block_index`, `last_block_hash`), as the ledger certifies it."""
        from ic import hash_tree

        return hash_tree.reconstruct(self._tip_tree())

    def _tip_tree(self):
        from ic import hash_tree
        from ic.leb128 import encode_unsigned

        tip = self._tip()
        if tip["length"] == 0:
            return hash_tree.EMPTY
        return hash_tree.build_tree({b"last_block_index": encode_unsigned(tip["length"] - 1),
                                     b"last_block_hash": bytes.fromhex(tip["hash"])})

    # -- dispatch ---------------------------------------------------------------------------------

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            raise CanisterTrap(f"the cycles ledger has no method '{method}'")
        if ctx.is_query:
            return [handler(ctx, *args)]
        self._certify = False
        try:
            with self.storage.transaction():  # a savepoint: a refusal or trap leaves nothing behind
                try:
                    result = handler(ctx, *args)
                except _Committed as failure:  # ...but a refunded failure keeps its blocks
                    result = failure.err()
        except _Refusal as refusal:
            self._certify = False
            return [refusal.err()]
        if self._certify:
            ctx.set_certified_data(self.certified_data())
        return [result]

    # -- ICRC-1 queries ---------------------------------------------------------------------------

    def _icrc1_name(self, ctx):
        return TOKEN_NAME

    def _icrc1_symbol(self, ctx):
        return TOKEN_SYMBOL

    def _icrc1_decimals(self, ctx):
        return DECIMALS

    def _icrc1_fee(self, ctx):
        return FEE

    def _icrc1_minting_account(self, ctx):
        return None

    def _icrc1_total_supply(self, ctx):
        return self._get("supply") or 0

    def _icrc1_metadata(self, ctx):
        return [("icrc1:decimals", {"Nat": DECIMALS}), ("icrc1:name", {"Text": TOKEN_NAME}),
                ("icrc1:symbol", {"Text": TOKEN_SYMBOL}), ("icrc1:fee", {"Nat": FEE}),
                ("icrc1:max_memo_length", {"Nat": MAX_MEMO_LENGTH}),
                ("dfn:max_blocks_per_request", {"Nat": MAX_BLOCKS_PER_REQUEST})]

    def _icrc1_supported_standards(self, ctx):
        return [{"name": name, "url": url} for name, url in STANDARDS]

    _icrc10_supported_standards = _icrc1_supported_standards

    def _icrc1_balance_of(self, ctx, account: dict):
        return self.balance(_account(account))

    def _icrc106_get_index_principal(self, ctx):
        return {"Err": {"IndexPrincipalNotSet": None}}

    # -- ICRC-1/2 transfers -----------------------------------------------------------------------

    def _icrc1_transfer(self, ctx, args: dict) -> dict:
        sender = (ctx.caller.raw, _subaccount(args.get("from_subaccount")))
        return {"Ok": self._transfer(ctx, sender, _account(args["to"]), None, args, kind="transfer")}

    def _icrc2_transfer_from(self, ctx, args: dict) -> dict:
        spender = (ctx.caller.raw, _subaccount(args.get("spender_subaccount")))
        return {"Ok": self._transfer(ctx, _account(args["from"]), _account(args["to"]), spender, args,
                                     kind="transfer_from")}

    def _denied(self, account) -> _Refusal:
        return _Refusal("GenericError", {"error_code": DENIED_OWNER,
                                         "message": f"Owner of the account {account_text(account)} cannot be part"
                                                    " of transactions"})

    def _transfer(self, ctx, source, target, spender, args: dict, *, kind: str) -> int:
        now = ctx.time_ns
        amount = args["amount"]
        fee = _opt(args.get("fee"))
        memo = _memo(args.get("memo"))
        created_at_time = _opt(args.get("created_at_time"))
        for account in (source, target):
            self._materialize(account, now)
        if amount > U128_MAX:
            raise _Refusal("InsufficientFunds", {"balance": self.balance(source)})
        if fee is not None and fee > U128_MAX:
            raise _Refusal("BadFee", {"expected_fee": FEE})
        tx = self._tx("xfer", memo=memo, created_at_time=created_at_time, **{"from": source}, to=target,
                      spender=spender, amount=amount, fee=fee)
        self._check_tx(tx, created_at_time, now)
        for account in (source, target) + ((spender,) if spender else ()):
            if account[0] == b"":
                raise self._denied(account)
        if fee is not None and fee != FEE:
            raise _Refusal("BadFee", {"expected_fee": FEE})
        with_fee = amount + FEE
        if spender is not None and spender != source:
            self._check_allowance(source, spender, with_fee, now)
        balance = self.balance(source)
        if balance < with_fee:
            raise _Refusal("InsufficientFunds", {"balance": balance})
        if self.balance(target) + amount > U128_MAX:
            raise _Refusal("GenericError", {"error_code": UNKNOWN_GENERIC_ERROR,
                                            "message": f"Unable to credit {amount} cycles to {account_text(target)}:"
                                                       " the balance would overflow"})
        index = self._emit(tx, now, FEE if fee is None else None, created_at_time=created_at_time)
        if spender is not None and spender != source:
            self._use_allowance(source, spender, with_fee, now)
        self._debit(source, with_fee)
        self._credit(target, amount)
        return index

    # -- ICRC-2 approvals ---------------------------------------------------------------------------

    def _approval(self, source_key: str, spender_key: str, now: int) -> tuple[int, int]:
        stored = self._get(f"approval/{source_key}/{spender_key}")
        if stored is None:
            return 0, 0
        amount, expires_at = stored
        if expires_at and expires_at < now:
            return 0, 0
        return amount, expires_at

    def _spenders(self, source_key: str) -> list[str]:
        return self._get(f"spenders/{source_key}") or []

    def _record_approval(self, source, spender, amount: int, expires_at: int | None) -> None:
        source_key, spender_key = _key(source), _key(spender)
        spenders = self._spenders(source_key)
        if amount == 0:
            self.storage.set_meta(f"{PREFIX}approval/{source_key}/{spender_key}", b"null")
            if spender_key in spenders:
                spenders.remove(spender_key)
        else:
            self._set(f"approval/{source_key}/{spender_key}", [amount, expires_at or 0])
            if spender_key not in spenders:
                spenders.append(spender_key)
                spenders.sort()
        self._set(f"spenders/{source_key}", spenders)

    def _check_allowance(self, source, spender, amount: int, now: int) -> None:
        stored = self._get(f"approval/{_key(source)}/{_key(spender)}")
        if stored is None:
            raise _Refusal("InsufficientAllowance", {"allowance": 0})
        current, expires_at = stored
        if expires_at and expires_at <= now:
            raise _Refusal("GenericError", {"error_code": EXPIRED_APPROVAL, "message": "Approval has expired"})
        if current < amount:
            raise _Refusal("InsufficientAllowance", {"allowance": current})

    def _use_allowance(self, source, spender, amount: int, now: int) -> None:
        current, expires_at = self._get(f"approval/{_key(source)}/{_key(spender)}")
        self._record_approval(source, spender, current - amount, expires_at or None)

    def _icrc2_allowance(self, ctx, args: dict) -> dict:
        amount, expires_at = self._approval(_key(_account(args["account"])), _key(_account(args["spender"])),
                                            ctx.time_ns)
        return {"allowance": amount, "expires_at": [expires_at] if expires_at > 0 else None}

    def _icrc2_approve(self, ctx, args: dict) -> dict:
        now = ctx.time_ns
        source = (ctx.caller.raw, _subaccount(args.get("from_subaccount")))
        spender = _account(args["spender"])
        amount = min(args["amount"], U128_MAX)
        expected = _opt(args.get("expected_allowance"))
        expires_at = _opt(args.get("expires_at"))
        fee = _opt(args.get("fee"))
        memo = _memo(args.get("memo"))
        created_at_time = _opt(args.get("created_at_time"))
        self._materialize(source, now)
        current = self._approval(_key(source), _key(spender), now)[0]
        if expected is not None and expected > U128_MAX:
            raise _Refusal("AllowanceChanged", {"current_allowance": current})
        if fee is not None and fee > U128_MAX:
            raise _Refusal("BadFee", {"expected_fee": FEE})
        tx = self._tx("approve", memo=memo, created_at_time=created_at_time, **{"from": source}, spender=spender,
                      amount=amount, expected_allowance=expected, expires_at=expires_at, fee=fee)
        self._check_tx(tx, created_at_time, now)
        if source[0] == spender[0]:
            raise CanisterTrap("self approval is not allowed")
        for account in (source, spender):
            if account[0] == b"":
                raise self._denied(account)
        if expected is not None and expected != current:
            raise _Refusal("AllowanceChanged", {"current_allowance": current})
        if fee is not None and fee != FEE:
            raise _Refusal("BadFee", {"expected_fee": FEE})
        balance = self.balance(source)
        if balance < FEE:
            raise _Refusal("InsufficientFunds", {"balance": balance})
        if (expires_at if expires_at is not None else U64_MAX) <= now:
            raise _Refusal("Expired", {"ledger_time": now})
        index = self._emit(tx, now, FEE if fee is None else None, created_at_time=created_at_time)
        self._record_approval(source, spender, amount, expires_at)
        self._debit(source, FEE)
        return {"Ok": index}

    def _icrc103_get_allowances(self, ctx, args: dict) -> dict:
        now = ctx.time_ns
        source = _account(args["from_account"][0]) if args.get("from_account") else (ctx.caller.raw, None)
        source_key = _key(source)
        after = _key(_account(args["prev_spender"][0])) if args.get("prev_spender") else None
        take = min(_opt(args.get("take")) or MAX_TAKE_ALLOWANCES, MAX_TAKE_ALLOWANCES)
        out = []
        for spender_key in self._spenders(source_key):
            if len(out) >= take:
                break
            if after is not None and spender_key <= after:
                continue
            amount, expires_at = self._approval(source_key, spender_key, now)
            if amount == 0:
                continue
            out.append({"from_account": _candid_account(source_key), "to_spender": _candid_account(spender_key),
                        "allowance": amount, "expires_at": [expires_at] if expires_at > 0 else None})
        return {"Ok": out}

    # -- cycles in and out ----------------------------------------------------------------------------

    def _deposit(self, ctx, args: dict) -> dict:
        # Cycles attached to a call reach no Python canister on this replica: 0 cycles available.
        raise CanisterTrap(f"The requested amount 0 to be deposited is less than the cycles ledger fee: {FEE}")

    def _withdraw(self, ctx, args: dict) -> dict:
        source = (ctx.caller.raw, _subaccount(args.get("from_subaccount")))
        try:
            return {"Ok": self._withdraw_from_account(ctx, source, None, args)}
        except _Refusal as refusal:
            if refusal.tag == "FailedToWithdrawFrom":
                value = refusal.value
                raise _Committed("FailedToWithdraw", {"fee_block": value["refund_block"],
                                                    "rejection_code": value["rejection_code"],
                                                    "rejection_reason": value["rejection_reason"]}) from None
            raise

    def _withdraw_from(self, ctx, args: dict) -> dict:
        spender = (ctx.caller.raw, _subaccount(args.get("spender_subaccount")))
        return {"Ok": self._withdraw_from_account(ctx, _account(args["from"]), spender, args)}

    def _withdraw_from_account(self, ctx, source, spender, args: dict) -> int:
        now = ctx.time_ns
        target = bytes(args["to"].raw)
        amount = args["amount"]
        created_at_time = _opt(args.get("created_at_time"))
        self._materialize(source, now)
        if _is_self_authenticating(target):
            raise _Refusal("InvalidReceiver", {"receiver": args["to"]})
        if amount == 0:
            raise _Refusal("GenericError", {"error_code": CANNOT_WITHDRAW_FROM_ZERO,
                                            "message": "The withdraw_from 0 cycles is not possible"})
        if amount > U128_MAX:
            raise _Refusal("InsufficientFunds", {"balance": self.balance(source)})
        memo = _withdraw_memo(target)
        tx = self._tx("burn", memo=memo, created_at_time=created_at_time, **{"from": source}, spender=spender,
                      amount=amount)
        self._check_tx(tx, created_at_time, now)
        with_fee = amount + FEE
        if spender is not None and spender != source:
            self._check_allowance(source, spender, with_fee, now)
        balance = self.balance(source)
        if balance < with_fee:
            raise _Refusal("InsufficientFunds", {"balance": balance})
        index = self._emit(tx, now, FEE, created_at_time=created_at_time)
        if spender is not None and spender != source:
            self._use_allowance(source, spender, with_fee, now)
        self._debit(source, with_fee)
        try:  # deposit_cycles to the target canister
            self._management(ctx, "provisional_top_up_canister", {"canister_id": args["to"], "amount": amount})
        except SystemReject as reject:
            refund = amount - FEE
            refund_block = self._mint(source, refund, PENALIZE_MEMO, now) if refund > 0 else None
            raise _Committed("FailedToWithdrawFrom", {
                "withdraw_from_block": [index], "refund_block": None if refund_block is None else [refund_block],
                "approval_refund_block": None, "rejection_code": _rejection_code(reject.code),
                "rejection_reason": reject.message}) from None
        return index

    def _management(self, ctx, method: str, arg: dict):
        """Call aaaaa-aa as the CMC would (the creator of canisters the ledger pays for)."""
        from ic.principal import Principal

        mctx = CallContext(caller=self.cmc_id, time_ns=ctx.time_ns, canister_id=Principal.from_bytes(b""),
                           is_query=False, set_certified_data=lambda _data: None, data_certificate=lambda: None,
                           random=ctx.random)
        results = self.management.call(method, mctx, [arg])
        return results[0] if results else None

    # -- canister creation ------------------------------------------------------------------------

    def _create_canister(self, ctx, args: dict) -> dict:
        source = (ctx.caller.raw, _subaccount(args.get("from_subaccount")))
        try:
            return {"Ok": self._create_from_account(ctx, source, None, args)}
        except _Refusal as refusal:
            if refusal.tag == "FailedToCreateFrom":
                value = refusal.value
                raise _Committed("FailedToCreate", {"fee_block": value["create_from_block"],
                                                  "refund_block": value["refund_block"],
                                                  "error": value["rejection_reason"]}) from None
            raise

    def _create_canister_from(self, ctx, args: dict) -> dict:
        spender = (ctx.caller.raw, _subaccount(args.get("spender_subaccount")))
        return {"Ok": self._create_from_account(ctx, _account(args["from"]), spender, args)}

    def _create_from_account(self, ctx, source, spender, args: dict) -> dict:
        now = ctx.time_ns
        amount = args["amount"]
        created_at_time = _opt(args.get("created_at_time"))
        self._materialize(source, now)
        if amount > U128_MAX:
            raise _Refusal("InsufficientFunds", {"balance": self.balance(source)})
        tx = self._tx("burn", memo=CREATE_CANISTER_MEMO, created_at_time=created_at_time, **{"from": source},
                      spender=spender, amount=amount)
        self._check_tx(tx, created_at_time, now, with_canister=True)
        with_fee = amount + FEE
        if spender is not None and spender != source:
            self._check_allowance(source, spender, with_fee, now)
        balance = self.balance(source)
        if balance < with_fee:
            raise _Refusal("InsufficientFunds", {"balance": balance})
        creation = _opt(args.get("creation_args")) or {}
        settings = dict(_opt(creation.get("settings")) or {})
        if settings.get("controllers") is None:
            settings["controllers"] = [[ctx.caller]]
        index = self._emit(tx, now, FEE, created_at_time=created_at_time)
        if spender is not None and spender != source:
            self._use_allowance(source, spender, with_fee, now)
        self._debit(source, with_fee)
        try:
            self._check_subnet(_opt(creation.get("subnet_selection")))
            created = self._management(ctx, "provisional_create_canister_with_cycles",
                                       {"amount": [amount], "settings": [settings], "specified_id": None,
                                        "sender_canister_version": None})
        except SystemReject as reject:
            refund = amount - FEE
            refund_block = self._mint(source, refund, REFUND_MEMO, now) if refund > 0 else None
            raise _Committed("FailedToCreateFrom", {
                "create_from_block": [index], "refund_block": None if refund_block is None else [refund_block],
                "approval_refund_block": None, "rejection_code": {"CanisterError": None},
                "rejection_reason": reject.message}) from None
        canister_id = created["canister_id"]
        if created_at_time is not None:
            self._set(f"tx/{value_hash({'Map': tx}).hex()}", [index, bytes(canister_id).hex()])
        from ic.principal import Principal

        return {"block_id": index, "canister_id": Principal.from_bytes(bytes(canister_id))}

    def _check_subnet(self, selection: dict | None) -> None:
        if selection is None:
            return
        ((kind, value),) = selection.items()
        if kind == "Subnet":
            subnet = value["subnet"]
            if bytes(subnet.raw) != bytes(self.subnet.raw):
                raise SystemReject(4, f"Subnet {subnet.to_text()} does not exist or {self.canister_id.to_text()} is"
                                      f" not authorized to deploy to that subnet; this replica's only subnet is"
                                      f" {self.subnet.to_text()}", "IC0406")
        else:
            subnet_type = _opt(value.get("subnet_type"))
            if subnet_type is not None:
                raise SystemReject(4, f"Provided subnet type {subnet_type} does not exist", "IC0406")

    # -- ICRC-3 ----------------------------------------------------------------------------------

    def _icrc3_get_archives(self, ctx, args: dict) -> list:
        return []

    def _icrc3_supported_block_types(self, ctx) -> list:
        return [{"block_type": kind, "url": url} for kind, url in BLOCK_TYPES]

    def _icrc3_get_blocks(self, ctx, ranges: list) -> dict:
        length = self._tip()["length"]
        blocks = []
        for wanted in ranges:
            remaining = MAX_BLOCKS_PER_REQUEST - len(blocks)
            if remaining <= 0:
                break
            start = wanted["start"]
            if start >= length:
                continue
            end = min(length, start + min(remaining, wanted["length"]))
            for index in range(start, end):
                blocks.append({"id": index, "block": _from_json(self._get(f"block/{index}"))})
        return {"log_length": length, "blocks": blocks, "archived_blocks": []}

    def _icrc3_get_tip_certificate(self, ctx):
        from ic import cbor, hash_tree

        certificate = ctx.data_certificate()
        if certificate is None:
            return None
        return [{"certificate": certificate, "hash_tree": cbor.encode(hash_tree.encode_tree(self._tip_tree()))}]

    # -- HTTP -----------------------------------------------------------------------------------------

    def _http_request(self, ctx, request: dict) -> dict:
        path = request["url"].split("?", 1)[0]
        if path == "/metrics":
            tip = self._tip()
            body = (f"# HELP total_supply The total supply of cycles.\n# TYPE total_supply gauge\n"
                    f"total_supply {self._get('supply') or 0}\n"
                    f"# HELP num_blocks Number of blocks in the ledger.\n# TYPE num_blocks gauge\n"
                    f"num_blocks {tip['length']}\n").encode()
            return {"status_code": 200, "headers": [("Content-Type", "text/plain; version=0.0.4"),
                                                    ("Content-Length", str(len(body)))], "body": body}
        if path == "/logs":
            body = b'{"entries":[]}'
            return {"status_code": 200, "headers": [("Content-Type", "application/json; charset=utf-8"),
                                                    ("Content-Length", str(len(body)))], "body": body}
        return {"status_code": 404, "headers": [], "body": b"not found"}


def _withdraw_memo(target: bytes) -> bytes:
    """`encode_withdraw_memo`: the CBOR array [receiver bytes] (minicbor `#[cbor(n(0))]`)."""
    from ic import cbor

    return cbor.encode([target], self_describe=False)


def _rejection_code(code: int) -> dict:
    names = {0: "NoError", 1: "SysFatal", 2: "SysTransient", 3: "DestinationInvalid", 4: "CanisterReject",
             5: "CanisterError"}
    return {names.get(code, "Unknown"): None}
