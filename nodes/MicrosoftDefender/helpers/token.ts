/**
 * Token service: client-credentials (v2 endpoint) tokens per audience, with a client secret or
 * a certificate assertion, through n8n's own `helpers.httpRequest`.
 *
 * Module-level cache keyed by (authority, tenant, client ID, credential fingerprint, scope):
 * it spans items and executions; parallel first requests share one in-flight token request;
 * tokens are renewed shortly before expiry (2 minutes, or 20 % of a short lifetime).
 */
import { createHash } from 'node:crypto';
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { buildClientAssertion, CertificateError, type AssertionAlgorithm } from './assertion';
import { explainTokenError, NETWORK_REASONS, redactAll, type Explanation } from './errors';
import { decodeJwtPayload } from './jwt';
import {
	HostConfigurationError,
	resolveEndpoints,
	tokenUrl,
	type ApiFamily,
	type ResolvedEndpoints,
} from './hosts';

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

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function isValidTenant(value: string): boolean {
	return GUID.test(value) || DOMAIN.test(value);
}

export function isGuid(value: string): boolean {
	return GUID.test(value);
}

interface CacheEntry {
	token: string;
	expiresAt: number;
	renewAt: number;
	/** After a failed early renewal: no new attempt before this time. */
	retryRenewalAt?: number;
}

const cache = new Map<string, CacheEntry>();
const inflight = new Map<string, Promise<CacheEntry>>();

/** Counters for tests and the permission doctor (no secrets). */
export const tokenStats = { requests: 0 };

/** Drops every cached token (tests; credential changes are picked up by the fingerprint anyway). */
export function clearTokenCache(): void {
	cache.clear();
	inflight.clear();
	tokenStats.requests = 0;
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

function buildForm(c: DefenderCredentialData, target: TokenTarget, url: string): string {
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

export interface TokenRequestOptions {
	/** Attempts on 429/5xx/network failures of the token endpoint (default 3). */
	attempts?: number;
	maxWaitMs?: number;
}

const NETWORK_HINT =
	'Check that n8n can reach the login host (proxy, firewall, DNS) and, for Custom Endpoints, the Login URL.';

/** One token request (no cache). Never includes the secret or assertion in what it throws. */
export async function requestToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	target: TokenTarget,
	options: TokenRequestOptions = {},
): Promise<CacheEntry & { raw: IDataObject }> {
	const url = tokenUrl(target.endpoints.authority, target.tenant);
	const attempts = Math.max(1, options.attempts ?? 3);
	let lastProblem: TokenError | undefined;
	for (let attempt = 0; attempt < attempts; attempt++) {
		if (attempt > 0) await sleep(Math.min(options.maxWaitMs ?? 10000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2));
		const body = buildForm(c, target, url);
		let response: { statusCode: number; body: unknown; headers?: IDataObject } | undefined;
		let networkCode = '';
		tokenStats.requests++;
		try {
			response = (await requester.helpers.httpRequest({
				method: 'POST',
				url,
				headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
				body,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: 30000,
				// A 307/308 would re-post the client secret or assertion to wherever it points.
				disableFollowRedirect: true,
				sendCredentialsOnCrossOriginRedirect: false,
			})) as { statusCode: number; body: unknown; headers?: IDataObject };
		} catch (error) {
			// Never rethrow the raw error: its request config holds the secret or assertion.
			networkCode = String((error as { code?: unknown })?.code ?? 'network error');
		}
		if (!response) {
			lastProblem = new TokenError({
				message: `Could not reach the login endpoint (${NETWORK_REASONS[networkCode] ?? 'network error'})`,
				description: NETWORK_HINT,
			});
			continue;
		}
		let payload = response.body;
		if (typeof payload === 'string') {
			try {
				payload = JSON.parse(payload);
			} catch {
				payload = undefined;
			}
		}
		const status = response.statusCode;
		const p = payload as IDataObject | undefined;
		const sent = new URLSearchParams(body);
		const secrets = [c.clientSecret, c.privateKey, c.privateKeyPassphrase, sent.get('client_assertion') ?? undefined].map((v) =>
			typeof v === 'string' ? v : undefined,
		);
		if (status >= 300 && status < 400) {
			let where = 'another address';
			try {
				where = new URL(String(response.headers?.location ?? response.headers?.Location ?? ''), url).origin;
			} catch {
				// no readable location
			}
			throw new TokenError(
				redactAll(
					{
						message: `The login endpoint answered with a redirect (HTTP ${status}) to ${where}; it was not followed`,
						description:
							'The client secret or certificate assertion is only sent to the login host itself. Check the Cloud and, for Custom Endpoints, the Login URL (for example https://login.microsoftonline.com), or a proxy that redirects login requests.',
					},
					secrets,
				),
				status,
			);
		}
		if (status >= 200 && status < 300 && p && typeof p.access_token === 'string') {
			return {
				token: p.access_token,
				...tokenTimes(p.access_token, p.expires_in),
				raw: { token_type: p.token_type, expires_in: p.expires_in },
			};
		}
		if (status === 429 || status >= 500 || (status >= 200 && status < 300)) {
			lastProblem = new TokenError(
				{
					message: `The login endpoint failed (HTTP ${status})`,
					description: status === 429 ? 'Entra throttled the token requests; try again in a minute.' : 'Entra had a transient problem; try again.',
				},
				status,
			);
			continue;
		}
		const explanation = redactAll(
			explainTokenError(status, p, {
				tenant: target.tenant,
				family: target.family,
				secretLooksLikeId: c.authentication === 'certificate' ? undefined : isGuid(String(c.clientSecret ?? '').trim()),
			}),
			secrets,
		);
		const code = p ? (Array.isArray(p.error_codes) ? Number(p.error_codes[0]) : undefined) : undefined;
		throw new TokenError(explanation, status, code);
	}
	throw lastProblem ?? new TokenError({ message: 'Could not get an access token', description: NETWORK_HINT });
}

/** A cached (or fresh) access token for the family; shares in-flight requests. */
export async function getAccessToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	target: TokenTarget,
	options: TokenRequestOptions = {},
): Promise<string> {
	const entry = cache.get(target.cacheKey);
	const now = Date.now();
	if (entry && now < entry.renewAt) return entry.token;
	const stillValid = (e: CacheEntry | undefined) => e !== undefined && Date.now() < e.expiresAt - 1000;
	// A renewal failed a moment ago: keep the valid token instead of hammering the login endpoint.
	if (entry && stillValid(entry) && entry.retryRenewalAt !== undefined && now < entry.retryRenewalAt) {
		return entry.token;
	}
	let pending = inflight.get(target.cacheKey);
	if (!pending) {
		// An early renewal gets one attempt: the current token still works if it fails.
		const attempts = stillValid(entry) ? 1 : options.attempts;
		pending = requestToken(requester, c, target, { ...options, attempts })
			.then((fresh) => {
				const e: CacheEntry = { token: fresh.token, expiresAt: fresh.expiresAt, renewAt: fresh.renewAt };
				// Expired entries of other tenants or edited credentials are of no use: drop them.
				const now = Date.now();
				for (const [k, v] of cache) if (v.expiresAt < now) cache.delete(k);
				cache.set(target.cacheKey, e);
				return e;
			})
			.finally(() => inflight.delete(target.cacheKey));
		inflight.set(target.cacheKey, pending);
	}
	let fresh: CacheEntry | undefined;
	let failure: unknown;
	try {
		fresh = await pending;
	} catch (error) {
		failure = error;
	}
	if (fresh) return fresh.token;
	const current = cache.get(target.cacheKey);
	if (current && stillValid(current)) {
		current.retryRenewalAt = Date.now() + Math.min(10000, (current.expiresAt - current.renewAt) / 4);
		return current.token;
	}
	throw failure;
}

/** Forgets the cached token of the target (the next call mints a fresh one, e.g. after consent). */
export function dropToken(target: TokenTarget): void {
	cache.delete(target.cacheKey);
}

/** Forgets `token` (after a 401) unless a newer one already replaced it. */
export function invalidateToken(target: TokenTarget, token: string): void {
	const entry = cache.get(target.cacheKey);
	if (entry && entry.token === token) cache.delete(target.cacheKey);
}

export interface TokenAttempt {
	token?: string;
	target?: TokenTarget;
	error?: Explanation;
	aadsts?: number;
	httpCode?: number;
}

/** Like requestToken (no cache) but never throws: for the credential test and the permission doctor. */
export async function attemptToken(
	requester: HttpRequester,
	c: DefenderCredentialData,
	family: ApiFamily,
	options: TokenRequestOptions & { tenant?: string; useCache?: boolean } = {},
): Promise<TokenAttempt> {
	let target: TokenTarget | undefined;
	try {
		target = tokenTarget(c, family, options.tenant);
		const token = options.useCache
			? await getAccessToken(requester, c, target, options)
			: (await requestToken(requester, c, target, options)).token;
		return { token, target };
	} catch (error) {
		if (error instanceof TokenError) {
			return { target, error: error.explanation, aadsts: error.aadsts, httpCode: error.httpCode };
		}
		return { target, error: { message: 'Could not get an access token', description: 'An unexpected error occurred.' } };
	}
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
