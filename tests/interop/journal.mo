// Issue 12 (kill -9 loses no acknowledged update): every update call appends one distinct value,
// so each acknowledged call can be found again after the replica is killed and restarted.
//
// Each call also changes many memory pages at once, so that a kill lands inside the replica's
// commit often and a call that persisted only some of its pages shows:
// - a pad of bytes derived from the value, kept beside it in main memory;
// - a counter in main memory;
// - a stamp (count, value) written into each of STAMPS different 64 KiB pages of stable memory.
// `check` recomputes all of it: counter = values = pads, every pad the bytes of its value, every
// stamp the one of the last call.
import List "mo:core/List";
import Blob "mo:core/Blob";
import Array "mo:core/Array";
import Nat8 "mo:core/Nat8";
import Nat64 "mo:core/Nat64";
import Region "mo:core/Region";

persistent actor Journal {
  let STAMPS : Nat64 = 16;
  let values = List.empty<Nat>();
  let pads = List.empty<Blob>();
  var count : Nat = 0;
  var region : ?Region.Region = null;

  func stamps() : Region.Region {
    switch region {
      case (?r) r;
      case null { let r = Region.new(); ignore Region.grow(r, STAMPS); region := ?r; r };
    };
  };

  func pad(v : Nat, len : Nat) : Blob {
    Blob.fromArray(Array.tabulate<Nat8>(len, func i = Nat8.fromIntWrap(v * 7 + i)))
  };

  // Appends `v` with a pad of `padLen` bytes; returns how many values there are now (so the
  // acknowledged reply names the position `v` must be found at).
  public func append(v : Nat, padLen : Nat) : async Nat {
    List.add(values, v);
    List.add(pads, pad(v, padLen));
    count += 1;
    let r = stamps();
    var p : Nat64 = 0;
    while (p < STAMPS) {
      Region.storeNat64(r, p * 65536 + 1000, Nat64.fromNat(count));
      Region.storeNat64(r, p * 65536 + 1008, Nat64.fromNat(v));
      p += 1;
    };
    count
  };

  public query func entries() : async [Nat] { List.toArray(values) };

  // (count, number of values, number of pads, pads that are not the bytes of their value,
  //  stable-memory stamps that are not (count, last value))
  public query func check() : async (Nat, Nat, Nat, Nat, Nat) {
    var badPads = 0;
    let n = List.size(values);
    var i = 0;
    while (i < n and i < List.size(pads)) {
      let p = List.at(pads, i);
      if (p != pad(List.at(values, i), p.size())) { badPads += 1 };
      i += 1;
    };
    var badStamps = 0;
    if (count > 0 and n > 0) {
      let r = stamps();
      let last = Nat64.fromNat(List.at(values, n - 1));
      var p : Nat64 = 0;
      while (p < STAMPS) {
        if (Region.loadNat64(r, p * 65536 + 1000) != Nat64.fromNat(count)
            or Region.loadNat64(r, p * 65536 + 1008) != last) { badStamps += 1 };
        p += 1;
      };
    };
    (count, n, List.size(pads), badPads, badStamps)
  };
};
