// The whoami canister of the demo dapps, in Motoko: the same interface as the Python one
// (`whoami : () -> (principal) query`, `whoami_update : () -> (principal)`), returning the caller.
// `whoami_update` also counts the calls of each caller, so it is a real update; `calls` reads
// that count back.
import Map "mo:core/Map";
import Principal "mo:core/Principal";

persistent actor Whoami {
  let counts = Map.empty<Principal, Nat>();

  public shared query ({ caller }) func whoami() : async Principal { caller };

  public shared ({ caller }) func whoami_update() : async Principal {
    let seen = switch (Map.get(counts, Principal.compare, caller)) { case (?n) n; case null 0 };
    Map.add(counts, Principal.compare, caller, seen + 1);
    caller
  };

  public shared query func calls(who : Principal) : async Nat {
    switch (Map.get(counts, Principal.compare, who)) { case (?n) n; case null 0 }
  };

  public shared query func callers() : async Nat { Map.size(counts) };
};
