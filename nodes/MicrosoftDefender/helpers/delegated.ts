/**
 * Delegated access (credential `microsoftDefenderDelegatedOAuth2Api`): one analyst's sign-in
 * in a customer tenant serves every Defender API.
 *
 * n8n holds the refresh token and refreshes the token of the credential's Sign-In API itself
 * (requests of that API go through `httpRequestWithAuthentication`, so n8n also stores each
 * rotated refresh token). For the other APIs this module redeems n8n's current refresh token at
 * the token endpoint (grant_type=refresh_token, scope `<resource>/.default`): Microsoft documents
 * that refresh tokens are not tied to a resource, and that redeeming one does not revoke it
 * (Learn: "Refresh tokens in the Microsoft identity platform"). So n8n's copy stays valid; the
 * rotated refresh token we receive is dropped, never stored, and only the access token is cached
 * here (in memory, keyed by a hash of the refresh token, until shortly before it expires).
 */
import { createHash } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { explainDelegatedTokenError, redactAll, type Explanation } from './errors';
import { decodeJwtPayload } from './jwt';
import { CONNECTION_TEST_CALLS, HostConfigurationError, resolveEndpoints, resourceOfScope, tokenUrl, type ApiFamily } from './hosts';
import { isValidTenant, TokenError, tokenTimes, type HttpRequester, type TokenTarget } from './token';

export const DELEGATED_CREDENTIAL_TYPE = 'microsoftDefenderDelegatedOAuth2Api';

/** Credential data of `microsoftDefenderDelegatedOAuth2Api` (n8n adds `oauthTokenData` on connect). */
export interface DelegatedCredentialData {
	cloud?: string;
	tenantId?: string;
	clientId?: string;
	clientSecret?: string;
	signInApi?: string;
	customLoginUrl?: string;
	customMdeBaseUrl?: string;
	customGraphBaseUrl?: string;
	oauthTokenData?: { access_token?: string; refresh_token?: string; [key: string]: unknown };
	[key: string]: unknown;
}

/** The API whose token n8n itself keeps and refreshes. */
export function signInFamily(c: DelegatedCredentialData): ApiFamily {
	return c.signInApi === 'mde' ? 'mde' : 'graph';
}

const NOT_CONNECTED: Explanation = {
	message: 'The Microsoft Defender Delegated OAuth2 API credential is not connected',
	description: 'Open the credential and press "Connect my account" to sign in as the analyst of the customer tenant.',
};

function hash(text: string): string {
	return createHash('sha256').update(text).digest('hex');
}

function problem(message: string, description: string): TokenError {
	return new TokenError({ message, description });
}

/** Where the delegated tokens of `family` come from (same shape as the app-only target). */
export function delegatedTarget(c: DelegatedCredentialData, family: ApiFamily): TokenTarget {
	let endpoints;
	let hostProblem = '';
	try {
		endpoints = resolveEndpoints({ ...c, mdeScope: '', graphScope: '' });
	} catch (error) {
		hostProblem = error instanceof HostConfigurationError ? error.message : 'bad cloud settings';
	}
	if (!endpoints) {
		throw problem(`The credential's endpoints are invalid: ${hostProblem}`, 'For Custom Endpoints enter full http(s) URLs.');
	}
	const tenant = String(c.tenantId ?? '').trim();
	if (!isValidTenant(tenant)) {
		throw problem(
			tenant ? `The tenant ID "${tenant}" is not a GUID or a domain` : 'The credential has no tenant ID',
			"Use the customer's Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com.",
		);
	}
	const clientId = String(c.clientId ?? '').trim();
	const scope = `${resourceOfScope(endpoints.api[family].scope)}/.default`;
	const refresh = String(c.oauthTokenData?.refresh_token ?? '');
	const cacheKey = ['delegated', endpoints.authority, tenant.toLowerCase(), clientId.toLowerCase(), hash(refresh), scope].join('|');
	return { endpoints, tenant, clientId, family, scope, cacheKey };
}

interface Entry {
	token: string;
	renewAt: number;
	expiresAt: number;
}

const cache = new Map<string, Entry>();
const inflight = new Map<string, Promise<Entry>>();

/** Counters for tests (no secrets). */
export const delegatedStats = { redemptions: 0 };

export function clearDelegatedCache(): void {
	cache.clear();
	inflight.clear();
	renewals.clear();
	delegatedStats.redemptions = 0;
}

/** Redeems the refresh token for `target.scope`; never throws anything holding a token. */
async function redeem(requester: HttpRequester, c: DelegatedCredentialData, target: TokenTarget): Promise<Entry> {
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
		let res: { statusCode: number; body: unknown } | undefined;
		try {
			res = (await requester.helpers.httpRequest({
				method: 'POST',
				url: tokenUrl(target.endpoints.authority, target.tenant),
				headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
				body: form.toString(),
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: 30000,
				// A 307/308 would re-post the refresh token and client secret to wherever it points.
				disableFollowRedirect: true,
				sendCredentialsOnCrossOriginRedirect: false,
			})) as { statusCode: number; body: unknown };
		} catch {
			last = new TokenError({
				message: 'Could not reach the login endpoint to get a delegated token',
				description: 'Check that n8n can reach the login host (proxy, firewall, DNS).',
			});
			continue;
		}
		let body = res.body;
		if (typeof body === 'string') {
			try {
				body = JSON.parse(body);
			} catch {
				body = undefined;
			}
		}
		const p = body as IDataObject | undefined;
		if (res.statusCode >= 200 && res.statusCode < 300 && p && typeof p.access_token === 'string') {
			// The rotated refresh token in p.refresh_token is dropped on purpose (see the file comment).
			return { token: p.access_token, ...tokenTimes(p.access_token, p.expires_in) };
		}
		if (res.statusCode === 429 || res.statusCode >= 500) {
			last = new TokenError({ message: `The login endpoint failed (HTTP ${res.statusCode})`, description: 'Try again in a minute.' }, res.statusCode);
			continue;
		}
		const secrets = [refresh, typeof c.clientSecret === 'string' ? c.clientSecret : undefined];
		if (res.statusCode >= 300 && res.statusCode < 400) {
			throw new TokenError(
				{
					message: `The login endpoint answered with a redirect (HTTP ${res.statusCode}); it was not followed`,
					description:
						'The refresh token and client secret are only sent to the login host itself. Check the Cloud and, for Custom Endpoints, the Login URL.',
				},
				res.statusCode,
			);
		}
		const codes = p && Array.isArray(p.error_codes) ? (p.error_codes as number[]) : [];
		throw new TokenError(redactAll(explainDelegatedTokenError(res.statusCode, p, target.family), secrets), res.statusCode, codes[0]);
	}
	throw last!;
}

/** A delegated access token for `target` (cached; parallel callers share one redemption). */
export async function getDelegatedToken(
	requester: HttpRequester,
	c: DelegatedCredentialData,
	target: TokenTarget,
): Promise<string> {
	const hit = cache.get(target.cacheKey);
	if (hit && Date.now() < hit.renewAt) return hit.token;
	let pending = inflight.get(target.cacheKey);
	if (!pending) {
		pending = redeem(requester, c, target)
			.then((e) => {
				const now = Date.now();
				for (const [k, v] of cache) if (v.expiresAt < now) cache.delete(k);
				cache.set(target.cacheKey, e);
				return e;
			})
			.finally(() => inflight.delete(target.cacheKey));
		inflight.set(target.cacheKey, pending);
	}
	return (await pending).token;
}

/** Forgets `token` (after a 401) unless a newer one already replaced it. */
export function invalidateDelegatedToken(target: TokenTarget, token: string): void {
	if (cache.get(target.cacheKey)?.token === token) cache.delete(target.cacheKey);
}

/** The token n8n stored for the Sign-In API (used to read `scp` when explaining a 403). */
export function storedAccessToken(c: DelegatedCredentialData): string {
	return String(c.oauthTokenData?.access_token ?? '');
}

/** `scp` (delegated permissions) and the user of a delegated access token. */
export function delegatedClaims(token: string): { scp: string[]; user?: string } {
	const p = decodeJwtPayload(token);
	const scp = typeof p?.scp === 'string' ? p.scp.split(' ').filter(Boolean) : [];
	const user = [p?.upn, p?.unique_name, p?.preferred_username].find((u) => typeof u === 'string') as string | undefined;
	return { scp, user };
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

const renewals = new Map<string, Promise<NonNullable<DelegatedCredentialData['oauthTokenData']>>>();

async function renewOnce(
	ctx: SignInRenewer,
	c: DelegatedCredentialData,
	target: TokenTarget,
	itemIndex?: number,
): Promise<NonNullable<DelegatedCredentialData['oauthTokenData']>> {
	const before = storedAccessToken(c);
	const probe = CONNECTION_TEST_CALLS[target.family];
	try {
		await ctx.helpers.httpRequestWithAuthentication.call(ctx, DELEGATED_CREDENTIAL_TYPE, {
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
		fresh = (await ctx.getCredentials(DELEGATED_CREDENTIAL_TYPE, itemIndex)) as DelegatedCredentialData;
	} catch {
		fresh = undefined;
	}
	const after = storedAccessToken(fresh ?? {});
	if (fresh?.oauthTokenData && after && after !== before) return fresh.oauthTokenData;
	const token = await getDelegatedToken(ctx, fresh ?? c, target);
	return { ...(c.oauthTokenData ?? {}), access_token: token };
}
