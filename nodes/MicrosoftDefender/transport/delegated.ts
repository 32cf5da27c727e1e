/**
 * Delegated tokens (see helpers/delegated.ts for the model): the refresh-token redemption for
 * the APIs other than the Sign-In API, cached in the one token cache, and the renewal of the
 * Sign-In API's token through n8n itself.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import {
	hash,
	NOT_CONNECTED,
	storedAccessToken,
	type DelegatedCredentialData,
} from '../helpers/delegated';
import { CREDENTIAL_TYPES } from '../helpers/credentialTypes';
import { explainDelegatedTokenError, redactAll } from '../helpers/errors';
import { CONNECTION_TEST_CALLS, tokenUrl } from '../helpers/hosts';
import { TokenError, type HttpRequester, type TokenTarget } from '../helpers/token';
import { cachedToken, forgetToken, type FreshToken } from './tokenCache';
import { aadstsOf, freshTokenOf, postTokenForm, type TokenAnswer } from './tokenEndpoint';

/** Counters for tests (no secrets). */
export const delegatedStats = { redemptions: 0 };

/** Shared sign-in renewals (see renewSignInToken). */
const renewals = new Map<string, Promise<NonNullable<DelegatedCredentialData['oauthTokenData']>>>();

export function clearDelegatedState(): void {
	renewals.clear();
	delegatedStats.redemptions = 0;
}

function refusal(answer: TokenAnswer, target: TokenTarget, secrets: Array<string | undefined>): TokenError {
	if (answer.status >= 300 && answer.status < 400) {
		return new TokenError(
			{
				message: `The login endpoint answered with a redirect (HTTP ${answer.status}); it was not followed`,
				description:
					'The refresh token and client secret are only sent to the login host itself. Check the Cloud and, for Custom Endpoints, the Login URL.',
			},
			answer.status,
		);
	}
	const explanation = explainDelegatedTokenError(answer.status, answer.body, target.family, {
		authority: target.endpoints.authority,
		tenant: target.tenant,
		clientId: target.clientId,
	});
	return new TokenError(redactAll(explanation, secrets), answer.status, aadstsOf(answer));
}

/** Redeems the refresh token for `target.scope`; never throws anything holding a token. */
async function redeem(requester: HttpRequester, c: DelegatedCredentialData, target: TokenTarget): Promise<FreshToken> {
	const refresh = String(c.oauthTokenData?.refresh_token ?? '');
	if (!refresh) throw new TokenError(NOT_CONNECTED);
	const form = new URLSearchParams({
		client_id: target.clientId,
		grant_type: 'refresh_token',
		refresh_token: refresh,
		scope: `${target.scope} offline_access`,
	});
	if (c.clientSecret) form.set('client_secret', String(c.clientSecret));
	let last: TokenError | undefined;
	for (let attempt = 0; attempt < 3; attempt++) {
		if (attempt) await sleep(500 * 2 ** attempt);
		delegatedStats.redemptions++;
		const answer = await postTokenForm(requester, tokenUrl(target.endpoints.authority, target.tenant), form.toString());
		if ('networkCode' in answer) {
			last = new TokenError({
				message: 'Could not reach the login endpoint to get a delegated token',
				description: 'Check that n8n can reach the login host (proxy, firewall, DNS).',
			});
			continue;
		}
		// The rotated refresh token in the answer is dropped on purpose (see helpers/delegated.ts).
		const fresh = freshTokenOf(answer);
		if (fresh) return fresh;
		if (answer.status === 429 || answer.status >= 500) {
			last = new TokenError({ message: `The login endpoint failed (HTTP ${answer.status})`, description: 'Try again in a minute.' }, answer.status);
			continue;
		}
		throw refusal(answer, target, [refresh, typeof c.clientSecret === 'string' ? c.clientSecret : undefined]);
	}
	throw last!;
}

/** A delegated access token for `target` (cached; parallel callers share one redemption). */
export async function getDelegatedToken(requester: HttpRequester, c: DelegatedCredentialData, target: TokenTarget): Promise<string> {
	return await cachedToken(target.cacheKey, async () => await redeem(requester, c, target));
}

/** Forgets `token` (after a 401) unless a newer one already replaced it. */
export function invalidateDelegatedToken(target: TokenTarget, token: string): void {
	forgetToken(target.cacheKey, token);
}

/** What renewing the Sign-In API's token needs from an n8n context. */
export interface SignInRenewer extends HttpRequester {
	helpers: HttpRequester['helpers'] & {
		httpRequestWithAuthentication(type: string, options: IHttpRequestOptions): Promise<unknown>;
	};
	getCredentials(type: string, itemIndex?: number): Promise<ICredentialDataDecryptedObject>;
}

/**
 * The stored token of the Sign-In API was refused (expired). Lets n8n refresh it the way n8n
 * refreshes every OAuth2 credential (a cheap GET through httpRequestWithAuthentication answers 401,
 * n8n redeems the refresh token and stores the new pair), so n8n's copy of the refresh token keeps
 * rotating. The real request is not sent through n8n: it is re-sent by the transport with the new
 * token, so a response action can never run twice. If n8n could not refresh, redeeming the
 * refresh token ourselves names the cause (AADSTS code: sign in again, consent, ...).
 * Updates `c.oauthTokenData` in place and returns the new access token.
 */
export async function renewSignInToken(
	ctx: SignInRenewer,
	c: DelegatedCredentialData,
	target: TokenTarget,
	itemIndex?: number,
): Promise<string> {
	// Items that hit the same expired token share one renewal (one refresh by n8n, not one per item).
	const key = `${target.cacheKey}|${hash(storedAccessToken(c))}`;
	let pending = renewals.get(key);
	if (!pending) {
		pending = renewOnce(ctx, c, target, itemIndex).finally(() => renewals.delete(key));
		renewals.set(key, pending);
	}
	const renewed = await pending;
	c.oauthTokenData = renewed;
	return String(renewed.access_token);
}

async function renewOnce(
	ctx: SignInRenewer,
	c: DelegatedCredentialData,
	target: TokenTarget,
	itemIndex?: number,
): Promise<NonNullable<DelegatedCredentialData['oauthTokenData']>> {
	const before = storedAccessToken(c);
	const probe = CONNECTION_TEST_CALLS[target.family];
	try {
		await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPES.delegated, {
			method: 'GET',
			url: `${target.endpoints.api[target.family].baseUrl}${probe.path}`,
			qs: { $top: 1 },
			json: true,
			timeout: 30000,
			// n8n signs this request with the stored token: it must not follow a redirect elsewhere.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		});
	} catch {
		// Judged below by whether n8n stored a new token (a 403 on the probe is fine).
	}
	let fresh: DelegatedCredentialData | undefined;
	try {
		fresh = (await ctx.getCredentials(CREDENTIAL_TYPES.delegated, itemIndex)) as DelegatedCredentialData;
	} catch {
		fresh = undefined;
	}
	const after = storedAccessToken(fresh ?? {});
	if (fresh?.oauthTokenData && after && after !== before) return fresh.oauthTokenData;
	const token = await getDelegatedToken(ctx, fresh ?? c, target);
	return { ...(c.oauthTokenData ?? {}), access_token: token };
}
