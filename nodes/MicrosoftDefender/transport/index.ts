/**
 * The one place that talks HTTP to Microsoft. Each concern has its file:
 *  - request.ts   one call: the attempt loop that ties the others together
 *  - auth.ts      which credential and token sign a request (one "token or throw", 401 renewal)
 *  - token.ts, delegated.ts, tokenEndpoint.ts, tokenCache.ts: app-only and delegated tokens,
 *                 the token endpoint, and the one token cache
 *  - options.ts   the Request Options and Authentication parameters of an item
 *  - pacing.ts    sliding quota windows, quota share, the pause after a 429, hunting slots
 *  - retries.ts   Retry-After and backoff
 *  - paging.ts    $top/$skip and @odata.nextLink, per the page-limit table
 *  - url.ts       paths, links and redirects that keep the token on the API host
 *  - response.ts  reading bodies
 *  - errors.ts    the errors users see, with structured fields callers test (transportErrorOf)
 */
import { clearDelegatedState } from './delegated';
import { resetPacing } from './pacing';
import { clearTokenCache } from './tokenCache';

export type { ApiFamily } from '../helpers/hosts';
export type { PagedEndpoint } from '../helpers/limits';
export { type DefenderContext, type DefenderRequest, type DefenderResponse } from './types';
export { transportTuning } from './tuning';
export { quotaFor } from './pacing';
export { retryAfterMs } from './retries';
export { getDefenderToken } from './auth';
export { defenderApiRequest, defenderApiRequestFull } from './request';
export { defenderApiPages, defenderApiRequestAllItems } from './paging';
export { transportErrorOf, wasNotSent, type TransportErrorFields, type TransportErrorKind } from '../helpers/errors';

/** Clears tokens and pacing windows (tests). */
export function resetTransportState(): void {
	resetPacing();
	clearTokenCache();
	clearDelegatedState();
}
