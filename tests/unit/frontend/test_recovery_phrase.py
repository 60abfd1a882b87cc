"""Recovery phrases: BIP39 and SLIP-0010 against their published vectors, and what a person types."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.recovery import phrase
from app.recovery.phrase import (derive_ed25519, format_phrase, generate_phrase, mnemonic_to_seed,
                                 parse_recovery_input, pbkdf2_sha512, phrase_checksum_ok, recovery_key_seed)
from ic.agent import Ed25519Identity

VECTORS = Path(__file__).parent / "vectors"
BIP39 = json.loads((VECTORS / "bip39_english.json").read_text())
SLIP10 = json.loads((VECTORS / "slip10_ed25519.json").read_text())
WORDLIST = Path(phrase.__file__).with_name("bip39-english.txt")


def test_the_word_list_is_bip39_english():
    assert hashlib.sha256(WORDLIST.read_bytes()).hexdigest() == \
        "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
    assert len(phrase.wordlist()) == 2048 and phrase.wordlist()[:2] == ("abandon", "ability")


@pytest.mark.parametrize("vector", BIP39["vectors"], ids=lambda v: v["entropy"][:8] + f"-{len(v['entropy'])}")
def test_bip39_vectors(vector):
    words = generate_phrase(bytes.fromhex(vector["entropy"]))
    assert " ".join(words) == vector["mnemonic"]
    assert phrase_checksum_ok(words)
    assert mnemonic_to_seed(words, BIP39["passphrase"]).hex() == vector["seed"]


def test_pure_pbkdf2_agrees_with_hashlib():
    for password, salt in ((b"abandon about", b"mnemonicTREZOR"), (b"x" * 200, b"salt")):
        assert pbkdf2_sha512(password, salt, 2048) == hashlib.pbkdf2_hmac("sha512", password, salt, 2048)


def test_seed_without_hashlib_pbkdf2(monkeypatch):
    vector = BIP39["vectors"][0]
    monkeypatch.delattr(hashlib, "pbkdf2_hmac")
    assert mnemonic_to_seed(vector["mnemonic"], "TREZOR").hex() == vector["seed"]


@pytest.mark.parametrize("vector", SLIP10["vectors"], ids=lambda v: v["seed"][:8])
def test_slip10_ed25519_vectors(vector):
    for step in vector["steps"]:
        private, chain = derive_ed25519(bytes.fromhex(vector["seed"]), step["path"])
        assert (chain.hex(), private.hex()) == (step["chain_code"], step["private"]), step["path"]
        public = Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert public.hex() == step["public"]


def test_recovery_key_is_the_ic_path_of_the_bip39_seed():
    words = generate_phrase(bytes(range(32)))
    seed = mnemonic_to_seed(words)
    assert recovery_key_seed(words) == derive_ed25519(seed, (44, 223, 0, 0, 0))[0]
    key = Ed25519Identity.from_seed(recovery_key_seed(words))
    expected = Ed25519PrivateKey.from_private_bytes(recovery_key_seed(words)).public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key_der() == expected


def test_typing_is_forgiving_of_spacing_case_and_the_number():
    words = generate_phrase(bytes([7]) * 32)
    typed = "  10042\n" + "  ".join(w.upper() if i % 3 == 0 else w for i, w in enumerate(words)) + " \n"
    parsed = parse_recovery_input(typed)
    assert parsed.usable and parsed.anchor == 10042 and list(parsed.words) == words and not parsed.warnings
    assert parse_recovery_input(format_phrase(10042, words)) == parsed
    assert parse_recovery_input(" ".join(words)).anchor is None


def test_a_typo_is_named_with_its_position_and_a_suggestion():
    words = generate_phrase(bytes([9]) * 32)
    wrong = list(words)
    wrong[4] = words[4][:-1] + ("z" if words[4][-1] != "z" else "y")
    parsed = parse_recovery_input(" ".join(wrong))
    assert not parsed.usable
    (problem,) = parsed.problems
    assert f'Word 5, "{wrong[4]}"' in problem
    assert f'Did you mean "{words[4]}"' in problem or phrase.closest_word(wrong[4]) is None


def test_word_count_number_and_checksum_problems():
    words = generate_phrase(bytes([1]) * 32)
    assert "24 words; this has 23" in parse_recovery_input(" ".join(words[:-1])).problems[0]
    assert "not an identity number" in parse_recovery_input("12a4 " + " ".join(words)).problems[0]
    swapped = [words[1], words[0], *words[2:]]
    parsed = parse_recovery_input(" ".join(swapped))
    assert parsed.usable == (swapped == words) or parsed.warnings  # a swap breaks the checksum
    assert parse_recovery_input("").problems == ("A recovery phrase has 24 words; this has 0.",)


def test_closest_word():
    assert phrase.closest_word("abandn") == "abandon"
    assert phrase.closest_word("zooo") in (None, "zoo")
    assert phrase.closest_word("abou") == "about"
