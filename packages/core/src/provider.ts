// What a service provider's own process needs beyond the client: the suite's calls
// (service/get_permanent_code and the suite token), secrets it learns at run time registered for
// redaction, token fingerprints, and the header a token service reads when WeCom rejected a token.
export { createSuiteClient } from './suite.js';
export type { SuiteClient, SuiteClientOptions, AuthorizedCorp } from './suite.js';
export { doomsEveryCall } from './errors.js';
export { fingerprint, REJECTED_TOKEN_HEADER } from './auth.js';
export { registerSecret, releaseSecret } from './redact.js';
