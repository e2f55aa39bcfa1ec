export { ApiKeyStore, hashKey, RateLimitedError, requireScope, type ApiKeyRecord, type CreatedApiKey } from './api-key.store.js';
export { isScope, parseScopes, SCOPES, type Scope } from './scopes.js';
export { ApiKeyCache, type ApiKeyCacheOptions } from './api-key.cache.js';
