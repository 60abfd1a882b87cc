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
type IdentityNumber = nat64;
type RegistrationId = text;
type Iss = text;
type Sub = text;
type Aud = text;
type Purpose = variant { recovery; authentication; };
type KeyType = variant { unknown; platform; cross_platform; seed_phrase; browser_storage_key; };
type DeviceProtection = variant { protected; unprotected; };
type MetadataMap = vec record { text; variant { map : MetadataMap; string : text; bytes : vec nat8 }; };
type DeviceData = record { pubkey : DeviceKey; alias : text; credential_id : opt CredentialId; aaguid : opt Aaguid; purpose : Purpose; key_type : KeyType; protection : DeviceProtection; origin : opt text; metadata : opt MetadataMap; };
type DeviceWithUsage = record { pubkey : DeviceKey; alias : text; credential_id : opt CredentialId; aaguid : opt Aaguid; purpose : Purpose; key_type : KeyType; protection : DeviceProtection; origin : opt text; last_usage : opt Timestamp; metadata : opt MetadataMap; };
type DeviceRegistrationInfo = record { tentative_device : opt DeviceData; tentative_session : opt principal; expiration : Timestamp; };
type OpenIdCredential = record { iss : Iss; sub : Sub; aud : Aud; last_usage_timestamp : opt Timestamp; metadata : MetadataMapV2; sso_domain : opt text; sso_name : opt text; };
type IdentityAnchorInfo = record { devices : vec DeviceWithUsage; device_registration : opt DeviceRegistrationInfo; openid_credentials : opt vec OpenIdCredential; name : opt text; created_at : opt Timestamp; };
type AddTentativeDeviceResponse = variant { added_tentatively : record { verification_code : text; device_registration_timeout : Timestamp; }; device_registration_mode_off; another_device_tentatively_added; passkey_with_this_public_key_is_already_used; };
type VerifyTentativeDeviceResponse = variant { verified; wrong_code : record { retries_left : nat8; }; device_registration_mode_off; no_device_to_verify; };
type AuthnMethodConfirmationCode = record { confirmation_code : text; expiration : Timestamp; };
type AuthnMethodSessionInfo = record { name : opt text; created_at : opt Timestamp; };
type AuthnMethodRegisterError = variant { RegistrationModeOff; RegistrationAlreadyInProgress; InvalidMetadata : text; NotSelfAuthenticating : principal; PasskeyWithThisPublicKeyIsAlreadyUsed; };
type AuthnMethodConfirmationError = variant { Unauthorized : principal; InternalCanisterError : text; WrongCode : record { retries_left : nat8; }; RegistrationModeOff; NoAuthnMethodToConfirm; };
type AuthnMethodRegistrationModeEnterError = variant { InvalidRegistrationId : text; Unauthorized : principal; AlreadyInProgress; InternalCanisterError : text; };
type AuthnMethodRegistrationModeExitError = variant { Unauthorized : principal; InternalCanisterError : text; RegistrationModeOff; InvalidMetadata : text; PasskeyWithThisPublicKeyIsAlreadyUsed; };
type IdentityPropertiesReplace = record { name : opt text; };
type IdentityPropertiesReplaceError = variant { Unauthorized : principal; StorageSpaceExceeded : record { space_available : nat64; space_required : nat64; }; NameTooLong : record { limit : nat64; }; InternalCanisterError : text; };
service : {
  identity_registration_start : () -> (variant { Ok : IdRegNextStepResult; Err : IdRegStartError });
  check_captcha : (CheckCaptchaArg) -> (variant { Ok : IdRegNextStepResult; Err : CheckCaptchaError });
  identity_registration_finish : (IdRegFinishArg) -> (variant { Ok : IdRegFinishResult; Err : IdRegFinishError });
  get_anchor_credentials : (UserNumber) -> (AnchorCredentials) query;
  lookup_device_key : (credential_id : blob) -> (opt DeviceKeyWithAnchor) query;
  prepare_delegation : (UserNumber, FrontendHostname, SessionKey, maxTimeToLive : opt nat64) -> (UserKey, Timestamp);
  get_delegation : (UserNumber, FrontendHostname, SessionKey, Timestamp) -> (GetDelegationResponse) query;
  get_anchor_info : (UserNumber) -> (IdentityAnchorInfo);
  add : (UserNumber, DeviceData) -> ();
  update : (UserNumber, DeviceKey, DeviceData) -> ();
  replace : (UserNumber, DeviceKey, DeviceData) -> ();
  remove : (UserNumber, DeviceKey) -> ();
  enter_device_registration_mode : (UserNumber) -> (Timestamp);
  exit_device_registration_mode : (UserNumber) -> ();
  add_tentative_device : (UserNumber, DeviceData) -> (AddTentativeDeviceResponse);
  verify_tentative_device : (UserNumber, verification_code : text) -> (VerifyTentativeDeviceResponse);
  authn_method_registration_mode_enter : (IdentityNumber, opt RegistrationId) -> (variant { Ok : record { expiration : Timestamp }; Err : AuthnMethodRegistrationModeEnterError });
  authn_method_registration_mode_exit : (IdentityNumber, opt AuthnMethodData) -> (variant { Ok; Err : AuthnMethodRegistrationModeExitError });
  authn_method_register : (IdentityNumber, AuthnMethodData) -> (variant { Ok : AuthnMethodConfirmationCode; Err : AuthnMethodRegisterError });
  authn_method_session_register : (IdentityNumber) -> (variant { Ok : AuthnMethodConfirmationCode; Err : AuthnMethodRegisterError });
  authn_method_session_info : (IdentityNumber) -> (opt AuthnMethodSessionInfo) query;
  authn_method_confirm : (IdentityNumber, confirmation_code : text) -> (variant { Ok; Err : AuthnMethodConfirmationError });
  lookup_by_registration_mode_id : (RegistrationId) -> (opt IdentityNumber) query;
  identity_properties_replace : (IdentityNumber, IdentityPropertiesReplace) -> (variant { Ok; Err : IdentityPropertiesReplaceError });
  lookup_caller_identity_by_recovery_phrase : () -> (opt IdentityNumber);
}
"""
