"""The part of the II canister's interface the frontend calls (types exactly as the reference
`internet_identity.did`; a unit test compares each method). A subset keeps the page's start-up
short: parsing the whole 60 KB interface under Pyodide costs more than the calls themselves.
"""

DID_TEXT = """\
type UserNumber = nat64;
type PublicKey = blob;
type CredentialId = blob;
type Aaguid = blob;
type DeviceKey = PublicKey;
type UserKey = PublicKey;
type SessionKey = PublicKey;
type FrontendHostname = text;
type Timestamp = nat64;
type DeviceKeyWithAnchor = record { pubkey : DeviceKey; anchor_number : UserNumber; };
type Delegation = record { pubkey : PublicKey; expiration : Timestamp; targets : opt vec principal; };
type SignedDelegation = record { delegation : Delegation; signature : blob; };
type GetDelegationResponse = variant { signed_delegation : SignedDelegation; no_such_delegation; };
type AnchorCredentials = record { credentials : vec WebAuthnCredential; recovery_credentials : vec WebAuthnCredential; recovery_phrases : vec PublicKey; };
type WebAuthnCredential = record { credential_id : CredentialId; pubkey : PublicKey; };
type MetadataMapV2 = vec record { text; variant { Map : MetadataMapV2; String : text; Bytes : vec nat8 }; };
type WebAuthn = record { credential_id : CredentialId; pubkey : PublicKey; aaguid : opt Aaguid; };
type PublicKeyAuthn = record { pubkey : PublicKey; };
type AuthnMethod = variant { WebAuthn : WebAuthn; PubKey : PublicKeyAuthn; };
type AuthnMethodProtection = variant { Protected; Unprotected; };
type AuthnMethodPurpose = variant { Recovery; Authentication; };
type AuthnMethodSecuritySettings = record { protection : AuthnMethodProtection; purpose : AuthnMethodPurpose; };
type AuthnMethodData = record { authn_method : AuthnMethod; security_settings : AuthnMethodSecuritySettings; metadata : MetadataMapV2; last_authentication : opt Timestamp; };
type IdRegNextStepResult = record { next_step : RegistrationFlowNextStep; };
type IdRegStartError = variant { InvalidCaller; RateLimitExceeded; AlreadyInProgress; };
type RegistrationFlowNextStep = variant { CheckCaptcha : record { captcha_png_base64 : text; }; Finish; };
type CheckCaptchaArg = record { solution : text; };
type CheckCaptchaError = variant { WrongSolution : record { new_captcha_png_base64 : text; }; UnexpectedCall : record { next_step : RegistrationFlowNextStep; }; NoRegistrationFlow; };
type IdRegFinishArg = record { authn_method : AuthnMethodData; name : opt text; };
type IdRegFinishResult = record { identity_number : nat64; };
type IdRegFinishError = variant { UnexpectedCall : record { next_step : RegistrationFlowNextStep; }; NoRegistrationFlow; InvalidAuthnMethod : text; StorageError : text; };
service : {
  identity_registration_start : () -> (variant { Ok : IdRegNextStepResult; Err : IdRegStartError });
  check_captcha : (CheckCaptchaArg) -> (variant { Ok : IdRegNextStepResult; Err : CheckCaptchaError });
  identity_registration_finish : (IdRegFinishArg) -> (variant { Ok : IdRegFinishResult; Err : IdRegFinishError });
  get_anchor_credentials : (UserNumber) -> (AnchorCredentials) query;
  lookup_device_key : (credential_id : blob) -> (opt DeviceKeyWithAnchor) query;
  prepare_delegation : (UserNumber, FrontendHostname, SessionKey, maxTimeToLive : opt nat64) -> (UserKey, Timestamp);
  get_delegation : (UserNumber, FrontendHostname, SessionKey, Timestamp) -> (GetDelegationResponse) query;
}
"""
