"""Recovery phrases: BIP39 English mnemonics and the II's key derived from them (ii-facts section 5).

- A phrase is 24 words from 32 random bytes (BIP39: entropy + the first bits of its SHA-256,
  11 bits per word).
- Its key: `seed = PBKDF2-HMAC-SHA512(NFKD(phrase), "mnemonic" + passphrase, 2048)`, then
  SLIP-0010 Ed25519 along m/44'/223'/0'/0'/0'; the final 32-byte `k` is the Ed25519 private key
  whose public key is the identity's recovery device. Like the classic II, derivation does not
  require the checksum; the checksum is checked and reported as a warning.
- What a person types: the classic II shows the phrase as `"<identity number> <24 words>"`; a
  leading all-digit token is the identity number. Spacing and case do not matter. Problems name
  the word and its position.

Pure: runs under CPython and Pyodide. `hashlib.pbkdf2_hmac` needs OpenSSL, which the page's Python
does not load, so a pure PBKDF2 on `hmac` stands in there (a few milliseconds for 2048 rounds).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Iterable, Optional, Sequence

WORD_COUNT = 24
ENTROPY_BYTES = 32
PBKDF2_ROUNDS = 2048
IC_DERIVATION_PATH = (44, 223, 0, 0, 0)
HARDENED = 0x80000000

_WORDS: Optional[tuple[str, ...]] = None
_INDEX: dict[str, int] = {}


def wordlist() -> tuple[str, ...]:
    """The 2048 BIP39 English words (app/recovery/bip39-english.txt, see WORDLIST.md), loaded once."""
    global _WORDS
    if _WORDS is None:
        text = resources.files(__package__).joinpath("bip39-english.txt").read_text("utf-8")
        words = tuple(text.split())
        if len(words) != 2048:
            raise RuntimeError(f"the BIP39 word list has {len(words)} words, not 2048")
        _INDEX.update((word, i) for i, word in enumerate(words))
        _WORDS = words
    return _WORDS


def _index() -> dict[str, int]:
    wordlist()
    return _INDEX


# -- BIP39 --------------------------------------------------------------------------------------


def generate_phrase(entropy: bytes) -> list[str]:
    """The mnemonic of `entropy` (16 to 32 bytes, a multiple of 4; the II uses 32: 24 words)."""
    if len(entropy) not in (16, 20, 24, 28, 32):
        raise ValueError(f"BIP39 entropy is 16, 20, 24, 28 or 32 bytes, not {len(entropy)}")
    checksum_bits = len(entropy) // 4
    bits = int.from_bytes(entropy, "big") << checksum_bits | hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    count = (len(entropy) * 8 + checksum_bits) // 11
    words = wordlist()
    return [words[(bits >> (11 * (count - 1 - i))) & 0x7FF] for i in range(count)]


def phrase_checksum_ok(words: Sequence[str]) -> bool:
    """Whether `words` (all from the list) end with the right BIP39 checksum."""
    index = _index()
    if len(words) not in (12, 15, 18, 21, 24) or any(w not in index for w in words):
        return False
    bits = 0
    for word in words:
        bits = bits << 11 | index[word]
    checksum_bits = len(words) * 11 // 33
    entropy = (bits >> checksum_bits).to_bytes(len(words) * 11 // 33 * 4, "big")
    return bits & ((1 << checksum_bits) - 1) == hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)


def pbkdf2_sha512(password: bytes, salt: bytes, rounds: int) -> bytes:
    """PBKDF2-HMAC-SHA512 for one 64-byte block, from `hmac` alone (no OpenSSL)."""
    inner, outer = hashlib.sha512(), hashlib.sha512()
    key = password if len(password) <= 128 else hashlib.sha512(password).digest()
    key = key.ljust(128, b"\0")
    inner.update(bytes(b ^ 0x36 for b in key))
    outer.update(bytes(b ^ 0x5C for b in key))

    def prf(message: bytes) -> bytes:
        i, o = inner.copy(), outer.copy()
        i.update(message)
        o.update(i.digest())
        return o.digest()

    block = prf(salt + (1).to_bytes(4, "big"))
    result = int.from_bytes(block, "big")
    for _ in range(rounds - 1):
        block = prf(block)
        result ^= int.from_bytes(block, "big")
    return result.to_bytes(64, "big")


def mnemonic_to_seed(words: Iterable[str] | str, passphrase: str = "") -> bytes:
    """The 64-byte BIP39 seed (no checksum required, as the II derives it)."""
    text = words if isinstance(words, str) else " ".join(words)
    password = unicodedata.normalize("NFKD", text).encode()
    salt = unicodedata.normalize("NFKD", "mnemonic" + passphrase).encode()
    pbkdf2 = getattr(hashlib, "pbkdf2_hmac", None)
    if pbkdf2 is not None:
        return pbkdf2("sha512", password, salt, PBKDF2_ROUNDS)
    return pbkdf2_sha512(password, salt, PBKDF2_ROUNDS)


# -- SLIP-0010 Ed25519 --------------------------------------------------------------------------


def derive_ed25519(seed: bytes, path: Sequence[int]) -> tuple[bytes, bytes]:
    """(private key, chain code) at `path` (every step hardened, the only kind Ed25519 has)."""
    digest = hmac.new(b"ed25519 seed", seed, hashlib.sha512).digest()
    key, chain = digest[:32], digest[32:]
    for index in path:
        data = b"\0" + key + ((index | HARDENED) & 0xFFFFFFFF).to_bytes(4, "big")
        digest = hmac.new(chain, data, hashlib.sha512).digest()
        key, chain = digest[:32], digest[32:]
    return key, chain


def recovery_key_seed(words: Iterable[str] | str) -> bytes:
    """The Ed25519 private key of a recovery phrase (m/44'/223'/0'/0'/0' of its BIP39 seed)."""
    return derive_ed25519(mnemonic_to_seed(words), IC_DERIVATION_PATH)[0]


# -- what a person types ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedPhrase:
    anchor: Optional[int]
    words: tuple[str, ...]
    problems: tuple[str, ...]          # each blocks using the phrase
    warnings: tuple[str, ...] = ()     # worth saying, not blocking (a checksum mismatch)

    @property
    def usable(self) -> bool:
        return not self.problems


def closest_word(word: str) -> Optional[str]:
    """A list word the typo probably meant: same first four letters (unique in BIP39), or one
    edit away."""
    words = wordlist()
    if len(word) >= 4:
        prefixed = [w for w in words if w.startswith(word[:4])]
        if len(prefixed) == 1:
            return prefixed[0]
    return next((w for w in words if _one_edit_apart(word, w)), None)


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1 or any(
            a[:i] + a[i + 1] + a[i] + a[i + 2:] == b for i in range(len(a) - 1))
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def parse_recovery_input(text: str) -> ParsedPhrase:
    tokens = text.lower().split()
    anchor = None
    problems: list[str] = []
    if tokens and tokens[0].isdigit():
        anchor = int(tokens.pop(0))
    elif tokens and any(c.isdigit() for c in tokens[0]):
        problems.append(f'"{tokens[0]}" is not an identity number (digits only).')
        tokens.pop(0)
    index = _index()
    for position, word in enumerate(tokens, start=1):
        if word not in index:
            hint = closest_word(word)
            suggestion = f' Did you mean "{hint}"?' if hint else ""
            problems.append(f'Word {position}, "{word}", is not a recovery phrase word.{suggestion}')
    if len(tokens) != WORD_COUNT:
        problems.append(f"A recovery phrase has {WORD_COUNT} words; this has {len(tokens)}.")
    warnings = ()
    if not problems and not phrase_checksum_ok(tokens):
        warnings = ("These words do not end with the check a generated phrase has: a word may be "
                    "wrong or out of order.",)
    return ParsedPhrase(anchor, tuple(tokens), tuple(problems), warnings)


def format_phrase(anchor: Optional[int], words: Sequence[str]) -> str:
    """The classic display form: `"10000 word1 … word24"`."""
    return " ".join(([str(anchor)] if anchor is not None else []) + list(words))
