/**
 * What a client-credentials token depends on, without I/O: the credential's data, where its
 * token comes from (authority, tenant, client, scope, cache key), the token request form and
 * when a token expires. The requests and the cache are in transport/token.ts.
 */
import { createHash } from 'node:crypto';
import type { IHttpRequestOptions } from 'n8n-workflow';

import { buildClientAssertion, CertificateError, type AssertionAlgorithm } from './assertion';
import type { Explanation } from './errors';
import { decodeJwtPayload } from './jwt';
import { isGuid } from './validate';
import { HostConfigurationError, resolveEndpoints, type ApiFamily, type ResolvedEndpoints } from './hosts';

/** Credential data of `microsoftDefenderEntraAppApi` (field names are the credential's). */
export interface DefenderCredentialData {
	cloud?: string;
	tenantId?: string;
	clientId?: string;
	authentication?: 'clientSecret' | 'certificate' | string;
	clientSecret?: string;
	privateKey?: string;
	privateKeyPassphrase?: string;
	certificate?: string;
	assertionAlgorithm?: AssertionAlgorithm | string;
	customLoginUrl?: string;
	customMdeBaseUrl?: string;
	customGraphBaseUrl?: string;
	mdeScope?: string;
	graphScope?: string;
	[key: string]: unknown;
}

/** Anything with n8n's `helpers.httpRequest` (execute, poll, load-options, preAuthentication). */
export interface HttpRequester {
	helpers: { httpRequest(options: IHttpRequestOptions): Promise<unknown> };
}

/** A token problem explained for the user; the transport turns it into a NodeApiError. */
export class TokenError extends Error {
	constructor(
		public explanation: Explanation,
		public httpCode?: number,
		public aadsts?: number,
	) {
		super(explanation.message);
		this.name = 'TokenError';
	}
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function isValidTenant(value: string): boolean {
	return isGuid(value) || DOMAIN.test(value);
}

/** SHA-256 over the authentication material: a changed secret or key gets its own cache entry. */
export function credentialFingerprint(c: DefenderCredentialData): string {
	const h = createHash('sha256');
	h.update(String(c.authentication ?? 'clientSecret'));
	h.update('\0');
	if (c.authentication === 'certificate') {
		h.update(String(c.privateKey ?? ''));
		h.update('\0');
		h.update(String(c.certificate ?? ''));
		h.update('\0');
		h.update(String(c.privateKeyPassphrase ?? ''));
		h.update('\0');
		h.update(String(c.assertionAlgorithm ?? 'PS256'));
	} else {
		h.update(String(c.clientSecret ?? ''));
	}
	return h.digest('hex');
}

export interface TokenTarget {
	endpoints: ResolvedEndpoints;
	tenant: string;
	clientId: string;
	family: ApiFamily;
	scope: string;
	cacheKey: string;
}

function credentialProblem(message: string, description: string): TokenError {
	return new TokenError({ message, description });
}

/** Validates the credential and works out where a token for `family` comes from. */
export function tokenTarget(c: DefenderCredentialData, family: ApiFamily, tenantOverride?: string): TokenTarget {
	let endpoints: ResolvedEndpoints | undefined;
	let hostProblem = '';
	try {
		endpoints = resolveEndpoints(c);
	} catch (error) {
		hostProblem = error instanceof HostConfigurationError ? error.message : 'The cloud settings are invalid';
	}
	if (!endpoints) {
		throw credentialProblem(
			`The credential's endpoints are invalid: ${hostProblem}`,
			'For Custom Endpoints enter full http(s) URLs, for example https://login.microsoftonline.com and https://api.security.microsoft.com.',
		);
	}
	const tenant = String(tenantOverride || c.tenantId || '').trim();
	if (!tenant || !isValidTenant(tenant)) {
		throw credentialProblem(
			tenant ? `The tenant ID "${tenant}" is not a GUID or a domain` : 'The credential has no tenant ID',
			'Use the Directory (tenant) ID GUID from the Entra admin center, or a verified domain such as contoso.onmicrosoft.com.',
		);
	}
	const clientId = String(c.clientId ?? '').trim();
	if (!isGuid(clientId)) {
		throw credentialProblem(
			'The client ID is not a GUID',
			'Use the Application (client) ID from the app registration overview (a GUID such as 11111111-2222-3333-4444-555555555555).',
		);
	}
	const scope = endpoints.api[family].scope;
	const cacheKey = [endpoints.authority, tenant.toLowerCase(), clientId.toLowerCase(), credentialFingerprint(c), scope].join('|');
	return { endpoints, tenant, clientId, family, scope, cacheKey };
}

export function buildForm(c: DefenderCredentialData, target: TokenTarget, url: string): string {
	const form = new URLSearchParams();
	form.set('client_id', target.clientId);
	form.set('scope', target.scope);
	form.set('grant_type', 'client_credentials');
	if (c.authentication === 'certificate') {
		if (!c.privateKey || !c.certificate) {
			throw credentialProblem(
				'Certificate authentication needs the private key and the certificate',
				'Paste both as PEM text (-----BEGIN PRIVATE KEY----- … and -----BEGIN CERTIFICATE----- …).',
			);
		}
		let assertion = '';
		let certProblem = '';
		try {
			assertion = buildClientAssertion({
				clientId: target.clientId,
				tokenUrl: url,
				privateKeyPem: c.privateKey,
				certificatePem: c.certificate,
				passphrase: c.privateKeyPassphrase || undefined,
				algorithm: c.assertionAlgorithm === 'RS256' ? 'RS256' : 'PS256',
			});
		} catch (error) {
			certProblem = error instanceof CertificateError ? error.message : 'The certificate or key could not be used';
		}
		if (!assertion) {
			throw credentialProblem(certProblem, 'Paste the PEM text of the RSA private key and of the certificate uploaded to the app registration.');
		}
		form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
		form.set('client_assertion', assertion);
	} else {
		const secret = String(c.clientSecret ?? '');
		if (!secret) {
			throw credentialProblem('The credential has no client secret', "Paste the secret's Value from the app registration → Certificates & secrets.");
		}
		form.set('client_secret', secret);
	}
	return form.toString();
}

/**
 * When a fresh token expires (the earlier of expires_in and its own exp claim) and when to renew it
 * (2 minutes before, or 20 % of a short lifetime).
 */
export function tokenTimes(accessToken: string, expiresIn: unknown): { expiresAt: number; renewAt: number } {
	const now = Date.now();
	let expiresAt = now + Math.max(1, Number(expiresIn) || 3599) * 1000;
	const exp = Number(decodeJwtPayload(accessToken)?.exp);
	if (Number.isFinite(exp) && exp > 0 && exp * 1000 > now) expiresAt = Math.min(expiresAt, exp * 1000);
	const lifetimeMs = expiresAt - now;
	return { expiresAt, renewAt: now + lifetimeMs - Math.min(120000, lifetimeMs * 0.2) };
}

/**
 * Fingerprint of everything a stored token depends on (authentication material, tenant, client,
 * cloud and endpoints, scopes, tested API). The credential stores it next to its token so an
 * edited credential never keeps using a token minted for the old settings.
 */
export function tokenSettingsFingerprint(c: DefenderCredentialData): string {
	const h = createHash('sha256');
	h.update(credentialFingerprint(c));
	for (const k of [
		'tenantId',
		'clientId',
		'cloud',
		'customLoginUrl',
		'customMdeBaseUrl',
		'customGraphBaseUrl',
		'mdeScope',
		'graphScope',
		'testApi',
	]) {
		h.update('\0');
		h.update(String(c[k] ?? ''));
	}
	return h.digest('hex');
}
