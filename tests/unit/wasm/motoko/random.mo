// Calls the management canister: raw_rand through mo:core/Random, and its own canister_status
// through an actor reference to aaaaa-aa, from an update method.
import Random "mo:core/Random";
import Principal "mo:core/Principal";

persistent actor Dice {
  type Status = { cycles : Nat; module_hash : ?Blob };
  type Management = actor {
    canister_status : ({ canister_id : Principal }) -> async Status;
  };
  var rolls : Nat = 0;

  public func entropy() : async Blob {
    rolls += 1;
    await Random.blob()
  };
  public shared func myCycles() : async Nat {
    let ic : Management = actor ("aaaaa-aa");
    (await ic.canister_status({ canister_id = Principal.fromActor(Dice) })).cycles
  };
  public query func count() : async Nat { rolls };
};
