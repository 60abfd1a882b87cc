// The browser's BLS12-381 verifier for IC certificates, bundled by esbuild into
// static/vendor/noble-bls-<version>.mjs at setup. Python calls it through app/browser/bls.py.
// IC certificates use the "min-sig" scheme: signatures in G1 (48 bytes), public keys in G2
// (96 bytes), hash-to-curve DST BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_.
import { bls12_381 } from "@noble/curves/bls12-381.js";

const scheme = bls12_381.shortSignatures;

// Returns true only for a valid signature; identity points and malformed encodings are false.
export function blsVerify(signature, message, publicKey) {
  let sig, key;
  try {
    sig = bls12_381.G1.Point.fromBytes(signature);
    key = bls12_381.G2.Point.fromBytes(publicKey);
    sig.assertValidity();
    key.assertValidity();
  } catch {
    return false;
  }
  if (sig.is0() || key.is0()) return false;
  return scheme.verify(sig, scheme.hash(message), key);
}
