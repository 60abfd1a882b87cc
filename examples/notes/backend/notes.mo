// Private notes, one notebook per caller: the backend of the notes example dapp.
//
// A `persistent actor` (enhanced orthogonal persistence, moc's default): every variable here
// survives upgrades without pre/post-upgrade hooks. Each principal sees and changes only its own
// notes; the anonymous principal is refused, since everyone who has not signed in shares it.
//
// Refusals are rejects (`throw Error.reject(...)`): the caller gets the message as it is, with
// reject code 4 (CANISTER_REJECT). A throw does not roll back what the method already changed,
// so every check comes before the first write.
import Char "mo:core/Char";
import Error "mo:core/Error";
import Iter "mo:core/Iter";
import Map "mo:core/Map";
import Nat "mo:core/Nat";
import Principal "mo:core/Principal";
import Text "mo:core/Text";
import Time "mo:core/Time";

persistent actor Notes {
  public type NoteId = Nat;
  public type Note = {
    id : NoteId;
    text : Text;
    created : Time.Time; // nanoseconds since 1970 (the IC's time when the note was added)
    updated : Time.Time; // the same as `created` until the note is edited
  };
  public type Limits = { max_note_chars : Nat; max_notes : Nat; max_users : Nat };

  // Bounds: a note's length in characters, notes per principal, principals with a notebook.
  // `transient`: set again by each installed version (a persistent `let` would keep the value of
  // the first install across upgrades).
  transient let MAX_NOTE_CHARS = 2_000;
  transient let MAX_NOTES = 100;
  transient let MAX_USERS = 10_000;

  // Each principal's notes by id, and the id its next note gets.
  type Notebook = { var next : NoteId; notes : Map.Map<NoteId, Note> };
  let notebooks = Map.empty<Principal, Notebook>();

  // The refusals, as errors a method throws (an `Error` value is what `throw` takes).
  func anonymous() : Error = Error.reject("Sign in first: the anonymous principal has no notes.");
  func noNote(id : NoteId) : Error = Error.reject("There is no note #" # Nat.toText(id) # ".");
  func badText(text : Text) : ?Error {
    if (Text.trim(text, #predicate(Char.isWhitespace)) == "") {
      return ?Error.reject("A note cannot be empty.");
    };
    if (text.size() > MAX_NOTE_CHARS) {
      return ?Error.reject("A note has at most " # Nat.toText(MAX_NOTE_CHARS) # " characters; this one has "
        # Nat.toText(text.size()) # ".");
    };
    null;
  };

  /// Adds a note to the caller's notebook and returns its id (ids are per principal, never reused).
  public shared ({ caller }) func add(text : Text) : async NoteId {
    if (Principal.isAnonymous(caller)) throw anonymous();
    switch (badText(text)) { case (?error) throw error; case null {} };
    let book = switch (Map.get(notebooks, Principal.compare, caller)) {
      case (?book) {
        if (Map.size(book.notes) >= MAX_NOTES) {
          throw Error.reject("You have " # Nat.toText(MAX_NOTES) # " notes, the most a notebook holds: delete one first.");
        };
        book;
      };
      case null {
        if (Map.size(notebooks) >= MAX_USERS) {
          throw Error.reject("This canister holds the notes of " # Nat.toText(MAX_USERS) # " principals already.");
        };
        let book : Notebook = { var next = 1; notes = Map.empty<NoteId, Note>() };
        Map.add(notebooks, Principal.compare, caller, book);
        book;
      };
    };
    let id = book.next;
    book.next += 1;
    let now = Time.now();
    Map.add(book.notes, Nat.compare, id, { id; text; created = now; updated = now });
    id;
  };

  /// The caller's notes, oldest first.
  public shared query ({ caller }) func list() : async [Note] {
    if (Principal.isAnonymous(caller)) throw anonymous();
    switch (Map.get(notebooks, Principal.compare, caller)) {
      case (?book) Iter.toArray(Map.values(book.notes));
      case null [];
    };
  };

  /// Replaces the text of one of the caller's notes.
  public shared ({ caller }) func update(id : NoteId, text : Text) : async () {
    if (Principal.isAnonymous(caller)) throw anonymous();
    switch (badText(text)) { case (?error) throw error; case null {} };
    let ?book = Map.get(notebooks, Principal.compare, caller) else throw noNote(id);
    let ?note = Map.get(book.notes, Nat.compare, id) else throw noNote(id);
    Map.add(book.notes, Nat.compare, id, { note with text; updated = Time.now() });
  };

  /// Deletes one of the caller's notes.
  public shared ({ caller }) func remove(id : NoteId) : async () {
    if (Principal.isAnonymous(caller)) throw anonymous();
    let ?book = Map.get(notebooks, Principal.compare, caller) else throw noNote(id);
    if (not Map.containsKey(book.notes, Nat.compare, id)) throw noNote(id);
    Map.remove(book.notes, Nat.compare, id);
  };

  /// The caller's principal, as this canister sees it (the anonymous one included).
  public shared query ({ caller }) func whoami() : async Principal { caller };

  /// This canister's bounds, so that a frontend can show them before a call is refused.
  public query func limits() : async Limits {
    { max_note_chars = MAX_NOTE_CHARS; max_notes = MAX_NOTES; max_users = MAX_USERS };
  };
};
