// Certified data set in an update and read back, with the data certificate, in a query.
import CertifiedData "mo:core/CertifiedData";

persistent actor Certified {
  public func set(b : Blob) : async () { CertifiedData.set(b) };
  public query func certificate() : async ?Blob { CertifiedData.getCertificate() };
};
