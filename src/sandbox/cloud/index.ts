export { AwsStsEmulator, type AwsStsEmulatorOptions, type EmulatedRole, type IssuedAwsCredentials } from './aws-sts-emulator.js';
export { GoogleStsEmulator, type EmulatedServiceAccount, type EmulatedWorkloadIdentityProvider, type GoogleStsEmulatorOptions } from './google-sts-emulator.js';
export { matchesLike, verifyOidcToken, type TrustedIssuer } from './verify-oidc-token.js';
