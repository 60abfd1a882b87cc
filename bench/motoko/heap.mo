// The Motoko canister of bench/canisters.py: a counter (`inc`, `get`) and a heap that grows on
// request (`grow`), to time a small update (`touch`) against the size of main memory.
//
// `grow(mb)` allocates `mb` MiB more of live data, as mutable arrays of 1 MiB each kept in a
// persistent variable (main memory under enhanced orthogonal persistence: the heap is the Wasm
// memory). An array element is one 64-bit word, filled with a non-zero value, so every page of
// the new data differs from zero and is really written. `touch` writes one variable and nothing
// else: it dirties a page or two whatever the heap size.
import Prim "mo:⛔";
import List "mo:core/pure/List";
import VarArray "mo:core/VarArray";
import Nat8 "mo:core/Nat8";

persistent actor Heap {
  let WORDS_PER_MIB = 131_072; // 1 MiB of 8-byte array elements
  var n : Nat = 0;
  var touched : Nat = 0;
  var mebibytes : Nat = 0;
  var chunks : List.List<[var Nat8]> = List.empty();

  public func inc() : async Nat { n += 1; n };
  public query func get() : async Nat { n };

  public func grow(mb : Nat) : async Nat {
    var i = 0;
    while (i < mb) {
      chunks := List.pushFront(chunks, VarArray.repeat<Nat8>(Nat8.fromNat((mebibytes + i) % 255 + 1), WORDS_PER_MIB));
      i += 1;
    };
    mebibytes += mb;
    mebibytes;
  };

  public func touch() : async Nat { touched += 1; touched };

  // (MiB allocated by grow, rts_heap_size, rts_memory_size) in bytes but the first.
  public query func stats() : async (Nat, Nat, Nat) { (mebibytes, Prim.rts_heap_size(), Prim.rts_memory_size()) };
};
