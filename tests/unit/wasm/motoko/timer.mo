// The global timer: `system func timer` runs when the engine fires canister_global_timer; it
// re-arms itself while fewer than three ticks happened.
import Prim "mo:⛔";

persistent actor Ticker {
  var ticks : Nat = 0;
  var lastTime : Nat64 = 0;

  system func timer(setGlobalTimer : Nat64 -> ()) : async () {
    ticks += 1;
    lastTime := Prim.time();
    if (ticks < 3) { setGlobalTimer(lastTime + 1_000_000_000) };
  };
  public query func state() : async (Nat, Nat64) { (ticks, lastTime) };
};
