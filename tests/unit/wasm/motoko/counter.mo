// State and traps: a counter whose updates persist, whose query writes are discarded, and an
// update that changes state and then traps (rolled back). Also large arguments and replies.
import Debug "mo:core/Debug";
import Runtime "mo:core/Runtime";
import Blob "mo:core/Blob";
import Array "mo:core/Array";
import Nat8 "mo:core/Nat8";

persistent actor Counter {
  var n : Nat = 0;

  public func inc() : async Nat { n += 1; Debug.print("count is " # debug_show n); n };
  public query func get() : async Nat { n };
  public query func bumpInQuery() : async Nat { n += 100; n };
  public func failAfterWrite() : async Nat { n += 1000; Runtime.trap("deliberate failure at " # debug_show n) };
  public shared ({ caller }) func whoami() : async Principal { caller };
  public func size(b : Blob) : async Nat { b.size() };
  public query func make(len : Nat) : async Blob { Blob.fromArray(Array.tabulate<Nat8>(len, func i = Nat8.fromIntWrap(i))) };
};
