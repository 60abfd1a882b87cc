// Inter-canister calls: awaits a counter in another canister, catches a callee's trap, calls
// itself, traps after an await (state kept as of the await), calls a Python canister, and reads
// another canister's query from a composite query.
import Error "mo:core/Error";
import Principal "mo:core/Principal";
import Runtime "mo:core/Runtime";

persistent actor Caller {
  type Counter = actor {
    inc : () -> async Nat;
    get : shared query () -> async Nat;
    failAfterWrite : () -> async Nat;
  };
  type Greeter = actor { greet : (Text) -> async Text };

  var steps : Nat = 0;

  func counter(p : Principal) : Counter { actor (Principal.toText(p)) };

  public func bump(target : Principal) : async Nat {
    steps += 1;
    let n = await counter(target).inc();
    n * 1000 + steps
  };
  public func tryFail(target : Principal) : async Text {
    try { ignore await counter(target).failAfterWrite(); "no error" } catch (e) {
      debug_show (Error.code(e)) # " " # Error.message(e)
    }
  };
  public func trapAfterAwait(target : Principal) : async Nat {
    steps += 1;
    ignore await counter(target).inc();
    steps += 100;
    Runtime.trap("after the await")
  };
  public func helper() : async Nat { steps += 10; steps };
  public func selfCall() : async Nat { (await helper()) + 1 };
  public func greet(target : Principal, name : Text) : async Text {
    let g : Greeter = actor (Principal.toText(target));
    try { await g.greet(name) } catch (e) { "error " # debug_show (Error.code(e)) # " " # Error.message(e) }
  };
  public query func getSteps() : async Nat { steps };
  public composite query func readOther(target : Principal) : async Nat {
    steps += 1000;
    (await counter(target).get()) + steps
  };
};
