// Stable memory (a Region) and upgrades: state in stable memory and in persistent variables
// (enhanced orthogonal persistence keeps main memory on upgrade).
import Region "mo:core/Region";
import Nat32 "mo:core/Nat32";

persistent actor Store {
  var region : ?Region.Region = null;
  var upgrades : Nat = 0;
  var count : Nat = 0;

  func get_region() : Region.Region {
    switch region {
      case (?r) r;
      case null { let r = Region.new(); ignore Region.grow(r, 1); region := ?r; r };
    };
  };

  public func put(b : Blob) : async () {
    let r = get_region();
    Region.storeNat32(r, 0, Nat32.fromNat(b.size()));
    Region.storeBlob(r, 4, b);
    count += 1;
  };
  public query func load() : async Blob {
    let r = get_region();
    Region.loadBlob(r, 4, Nat32.toNat(Region.loadNat32(r, 0)));
  };
  public query func stats() : async (Nat, Nat) { (count, upgrades) };

  system func postupgrade() { upgrades += 1 };
};
