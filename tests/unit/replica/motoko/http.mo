// A canister that answers the HTTP gateway protocol itself: `http_request` (query) for most paths,
// `upgrade = ?true` to `http_request_update` (an update: its writes persist) for /count and POSTs,
// a streaming callback for /stream (and an endless one for /endless), and a trap for /trap.
import Blob "mo:core/Blob";
import Nat "mo:core/Nat";
import Nat16 "mo:core/Nat16";
import Principal "mo:core/Principal";
import Runtime "mo:core/Runtime";
import Text "mo:core/Text";

persistent actor Http {
  type HeaderField = (Text, Text);
  type Token = { part : Nat; last : Nat };
  type CallbackResponse = { body : Blob; token : ?Token };
  type StreamingStrategy = {
    #Callback : { callback : shared query Token -> async CallbackResponse; token : Token };
  };
  type Request = {
    method : Text;
    url : Text;
    headers : [HeaderField];
    body : Blob;
    certificate_version : ?Nat16;
  };
  type UpdateRequest = { method : Text; url : Text; headers : [HeaderField]; body : Blob };
  type Response = {
    status_code : Nat16;
    headers : [HeaderField];
    body : Blob;
    upgrade : ?Bool;
    streaming_strategy : ?StreamingStrategy;
  };

  var hits : Nat = 0;
  var posted : Text = "";

  func text(status : Nat16, body : Text) : Response {
    {
      status_code = status;
      headers = [("content-type", "text/plain; charset=utf-8"), ("x-served-by", "motoko")];
      body = Text.encodeUtf8(body);
      upgrade = null;
      streaming_strategy = null;
    };
  };

  func upgrade() : Response {
    { status_code = 200; headers = []; body = Blob.empty(); upgrade = ?true; streaming_strategy = null };
  };

  func header(req : { headers : [HeaderField] }, name : Text) : Text {
    for ((k, v) in req.headers.vals()) {
      if (Text.toLower(k) == name) { return v };
    };
    "";
  };

  func bodyText(body : Blob) : Text {
    switch (Text.decodeUtf8(body)) { case (?t) t; case null "<binary>" };
  };

  public shared query ({ caller }) func http_request(req : Request) : async Response {
    if (req.method == "POST" or req.method == "PUT") { return upgrade() };
    switch (req.url) {
      case "/" {
        text(200, "hello from motoko: " # req.method # " " # req.url # " hits=" # Nat.toText(hits)
          # " caller=" # Principal.toText(caller) # " accept=" # header(req, "accept")
          # " version=" # (switch (req.certificate_version) { case (?v) Nat16.toText(v); case null "none" }));
      };
      case "/count" { upgrade() };
      case "/posted" { text(200, posted) };
      case "/stream" {
        {
          status_code = 200;
          headers = [("content-type", "text/plain")];
          body = Text.encodeUtf8("part0;");
          upgrade = null;
          streaming_strategy = ?#Callback({ callback = http_streaming; token = { part = 1; last = 3 } });
        };
      };
      case "/endless" {
        {
          status_code = 200;
          headers = [];
          body = Text.encodeUtf8("x");
          upgrade = null;
          streaming_strategy = ?#Callback({ callback = http_streaming; token = { part = 1; last = 1_000_000 } });
        };
      };
      case "/trap" { Runtime.trap("deliberate trap in http_request") };
      case "/teapot" {
        {
          status_code = 418;
          headers = [("content-type", "text/plain"), ("set-cookie", "a=1"), ("set-cookie", "b=2"),
                     ("content-length", "999"), ("bad header", "x")];
          body = Text.encodeUtf8("short and stout");
          upgrade = null;
          streaming_strategy = null;
        };
      };
      case "/status-999" { text(999, "nonsense status") };
      case _ { text(404, "no such page: " # req.url) };
    };
  };

  public shared ({ caller }) func http_request_update(req : UpdateRequest) : async Response {
    if (req.url == "/count") {
      hits += 1;
      return text(200, "hits=" # Nat.toText(hits) # " caller=" # Principal.toText(caller));
    };
    posted := req.method # " " # req.url # " " # header(req, "content-type") # " " # bodyText(req.body);
    text(201, "stored " # Nat.toText(req.body.size()) # " bytes");
  };

  public query func http_streaming(token : Token) : async CallbackResponse {
    {
      body = Text.encodeUtf8("part" # Nat.toText(token.part) # ";");
      token = if (token.part < token.last) ?{ part = token.part + 1; last = token.last } else null;
    };
  };

  public query func hits_count() : async Nat { hits };
};
