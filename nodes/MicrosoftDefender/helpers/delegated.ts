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
 * (in memory, keyed by a hash of the refresh token, until shortly before it expires).
 *
 * This file holds what needs no I/O (targets, claims); the token requests are in
 * transport/delegated.ts.
 */
import { createHash } from 'node:crypto';

import type { Explanation } from './errors';
import { decodeJwtPayload } from './jwt';
import { HostConfigurationError, resolveEndpoints, resourceOfScope, type ApiFamily } from './hosts';
import { isValidTenant, TokenError, type TokenTarget } from './token';

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

export const NOT_CONNECTED: Explanation = {
	message: 'The Microsoft Defender Delegated OAuth2 API credential is not connected',
	description: 'Open the credential and press "Connect my account" to sign in as the analyst of the customer tenant.',
};

export function hash(text: string): string {
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

