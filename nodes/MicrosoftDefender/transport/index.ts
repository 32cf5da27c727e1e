/**
 * The one place that talks HTTP to Microsoft: tokens per audience and tenant, paging per
 * endpoint, pacing under the documented quotas, retries (429 Retry-After; 5xx, resets and
 * malformed bodies with exponential backoff and jitter on idempotent requests), and errors
 * that say what happened and how to fix it. Always calls `helpers.httpRequest` with
 * `returnFullResponse` + `ignoreHttpStatusErrors` and judges the status itself, so it behaves
 * the same on every n8n version.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { preview } from '../helpers/validate';
import {
	apiDisplayName,
	explainApiError,
	explainDelegatedForbidden,
	NETWORK_REASONS,
	parseApiError,
	redactAll,
} from '../helpers/errors';
import {
	clearDelegatedCache,
	DELEGATED_CREDENTIAL_TYPE,
	delegatedClaims,
	delegatedTarget,
	getDelegatedToken,
	invalidateDelegatedToken,
	renewSignInToken,
	signInFamily,
	storedAccessToken,
	type DelegatedCredentialData,
} from '../helpers/delegated';
import { delegatedScopes, permissionRow, userPermissionFor, type OperationRef } from '../helpers/permissions';
import type { ApiFamily } from '../helpers/hosts';
import { PAGE_LIMITS, QUOTAS, type PageLimit, type PagedEndpoint, type Quota, type QuotaKey } from '../helpers/limits';
import {
	clearTokenCache,
	dropToken,
	getAccessToken,
	invalidateToken,
	isValidTenant,
	TokenError,
	tokenTarget,
	type DefenderCredentialData,
	type TokenTarget,
} from '../helpers/token';

export type { ApiFamily } from '../helpers/hosts';
export type { PagedEndpoint } from '../helpers/limits';

export const CREDENTIAL_TYPE = 'microsoftDefenderEntraAppApi';

export type DefenderContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

export interface DefenderRequest {
	/** 'mde' | 'graph': picks the base URL and the token audience. */
	api: ApiFamily;
	method: IHttpRequestMethods;
	/** '/api/machines/{id}/isolate' or '/v1.0/security/incidents' (callers encode IDs). */
	path: string;
	qs?: IDataObject;
	body?: IDataObject | IDataObject[];
	headers?: IDataObject;
	/** Absolute URL (nextLink, package link). Must be on the API's host unless `noAuth`. */
	url?: string;
	/** Default: true for GET/PUT/PATCH/DELETE, false for POST. Non-idempotent requests are not replayed after they may have reached the server (429 is always safe). */
	idempotent?: boolean;
	/** Return the body as a Buffer. */
	binary?: boolean;
	/** Return a 2xx body as a readable stream (large downloads go straight into n8n's binary store). */
	stream?: boolean;
	/** Send this body as is (e.g. multipart/form-data); set its Content-Type in `headers`. */
	rawBody?: Buffer;
	/** No Authorization header (foreign SAS links). */
	noAuth?: boolean;
	itemIndex?: number;
	/** For 403 fix hints from the permissions table. */
	operation?: OperationRef;
	/** Quota bucket for pacing; derived from the path when absent. */
	quota?: QuotaKey;
	/** Request timeout; default 120 s (hunting 210 s). */
	timeoutMs?: number;
}

export interface DefenderResponse<T = unknown> {
	statusCode: number;
	body: T;
	headers: IDataObject;
}

/**
 * Knobs for tests and benchmarks. `timeScale` compresses the pacing clock (60 = a minute of
 * quota passes in a second), matching the emulator's time scale.
 */
export const transportTuning = {
	pacing: true,
	timeScale: 1,
	/** Share of a documented quota the pacer uses, leaving room for clock skew and other clients. */
	paceSafety: 0.9,
	/** First backoff step for 5xx/resets; doubles per retry, with jitter. */
	baseBackoffMs: 1000,
	/** Backoff for 429 without Retry-After. */
	throttleBackoffMs: 10000,
	/** Hunting queries running at once per tenant (they share the tenant's CPU quota). */
	huntingConcurrency: 3,
};

interface PacerEntry {
	/** Send time while in flight, completion time once answered (arrival lies in between). */
	t: number;
}

const pacers = new Map<string, PacerEntry[]>();
/**
 * After a 429 every request of this process on that quota waits out the Retry-After, not just the
 * refused one: when several n8n processes (queue-mode workers) share an app's quota, the first
 * refusal tells this process the window is spent, and sending the rest of its burst would only
 * collect more 429s.
 */
const throttledUntil = new Map<string, number>();

/** Clears tokens and pacing windows (tests). */
export function resetTransportState(): void {
	pacers.clear();
	throttledUntil.clear();
	huntingSlots.clear();
	clearTokenCache();
	clearDelegatedCache();
}

/**
 * Waits until a request may be sent without exceeding the quota: at most `limit` requests in
 * any sliding window (per minute and per hour). Answered requests count at their completion
 * time, which is at or after the moment the server counted them, so latency cannot push two
 * windows' worth of requests into one of the server's windows. Returns a handle to release.
 */
async function pace(key: string, quota: Quota, share = 1): Promise<PacerEntry | undefined> {
	if (!transportTuning.pacing) return undefined;
	const scale = transportTuning.timeScale > 0 ? transportTuning.timeScale : 1;
	const part = transportTuning.paceSafety * share;
	const windows = [
		{ len: 60000 / scale, limit: Math.max(1, Math.floor(quota.perMinute * part)) },
		{ len: 3600000 / scale, limit: Math.max(1, Math.floor(quota.perHour * part)) },
	];
	let entries = pacers.get(key);
	if (!entries) {
		entries = [];
		pacers.set(key, entries);
	}
	for (;;) {
		const now = Date.now();
		const horizon = now - windows[1].len;
		if (entries.length && entries[0].t <= horizon) {
			const kept = entries.filter((e) => e.t > horizon);
			entries.length = 0;
			entries.push(...kept);
		}
		let wait = 0;
		for (const w of windows) {
			if (entries.length < w.limit) continue;
			const times = entries
				.map((e) => e.t)
				.filter((t) => t > now - w.len)
				.sort((a, b) => a - b);
			if (times.length >= w.limit) wait = Math.max(wait, times[times.length - w.limit] + w.len - now);
		}
		if (wait <= 0) {
			const entry = { t: now };
			entries.push(entry);
			return entry;
		}
		await sleep(Math.ceil(wait));
	}
}

async function waitOutThrottle(key: string): Promise<void> {
	for (;;) {
		const paused = (throttledUntil.get(key) ?? 0) - Date.now();
		if (paused <= 0) return;
		await sleep(Math.ceil(paused));
	}
}

function released(entry: PacerEntry | undefined): void {
	if (entry) entry.t = Date.now();
}

/**
 * Hunting queries share a CPU quota per tenant: parallel heavy queries exhaust it and then every
 * query is refused for up to 15 minutes. At most `huntingConcurrency` run at once per tenant.
 */
const huntingSlots = new Map<string, { running: number; waiting: Array<() => void> }>();

async function acquireHuntingSlot(key: string): Promise<() => void> {
	let slot = huntingSlots.get(key);
	if (!slot) {
		slot = { running: 0, waiting: [] };
		huntingSlots.set(key, slot);
	}
	const s = slot;
	if (s.running >= Math.max(1, transportTuning.huntingConcurrency)) {
		await new Promise<void>((resolve) => s.waiting.push(resolve));
	} else {
		s.running++;
	}
	let done = false;
	return () => {
		if (done) return;
		done = true;
		const next = s.waiting.shift();
		if (next) next();
		else s.running--;
	};
}

export function quotaFor(req: Pick<DefenderRequest, 'api' | 'path' | 'url' | 'quota'>): QuotaKey {
	if (req.quota) return req.quota;
	const p = (req.path || req.url || '').toLowerCase();
	if (p.includes('/advancedqueries/run')) return 'mdeHunting';
	if (p.includes('/runhuntingquery')) return 'graphHunting';
	if (p.includes('getpackageuri')) return 'mdePackageUri';
	if (/\/api\/machines\/[^/?]+\/vulnerabilities(\?|$)/.test(p)) return 'mdeMachineVulnerabilities';
	if (p.includes('/runliveresponse')) return 'mdeLiveResponse';
	return req.api === 'graph' ? 'graph' : 'mde';
}

interface ItemRequestOptions {
	tenant?: string;
	maxRetries: number;
	maxRetryWaitMs: number;
	/** Share (0.01–1) of the documented quota this process paces to (Request Options → Quota Share). */
	quotaShare: number;
	/** Request Options → Timeout; undefined = the default per endpoint. */
	timeoutMs?: number;
}

function isExecuteContext(ctx: DefenderContext): ctx is IExecuteFunctions {
	return typeof (ctx as IExecuteFunctions).getInputData === 'function';
}

function readRequestOptions(ctx: DefenderContext, itemIndex: number | undefined): ItemRequestOptions {
	let raw: IDataObject = {};
	try {
		raw = (
			isExecuteContext(ctx)
				? ctx.getNodeParameter('requestOptions', itemIndex ?? 0, {})
				: (ctx as IPollFunctions).getNodeParameter('requestOptions', {})
		) as IDataObject;
	} catch (error) {
		// An expression that fails (e.g. a missing field in ={{ $json.customer.tenant }}) must not
		// silently mean "the credential's tenant".
		throw new NodeOperationError(ctx.getNode(), `Request Options could not be read: ${(error as Error).message}`, {
			itemIndex,
			description: 'Check the expressions under Request Options (Tenant ID Override, Max Retries, Max Retry Wait).',
		});
	}
	raw = raw && typeof raw === 'object' ? raw : {};
	const override = raw.tenantId;
	if (override !== undefined && override !== null && typeof override !== 'string') {
		// Never fall back to the credential's own tenant: for an MSSP that is another customer.
		throw new NodeOperationError(
			ctx.getNode(),
			`Tenant ID Override must be text, got ${Array.isArray(override) ? 'an array' : typeof override}${itemIndex !== undefined ? ` (item ${itemIndex})` : ''}`,
			{
				itemIndex,
				description:
					"Request Options → Tenant ID Override takes one tenant's Directory (tenant) ID GUID or verified domain as text, e.g. ={{ $json.tenantId }} where that field holds a string. Leave it empty to use the credential's tenant.",
			},
		);
	}
	const tenant = typeof override === 'string' ? override.trim() : '';
	if (tenant && !isValidTenant(tenant)) {
		throw new NodeOperationError(ctx.getNode(), `Tenant ID Override "${preview(tenant)}" is not a tenant ID or domain`, {
			itemIndex,
			description:
				'Use the customer\'s Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com (Request Options → Tenant ID Override).',
		});
	}
	const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);
	let timeoutMs: number | undefined;
	if (raw.timeoutSeconds !== undefined && raw.timeoutSeconds !== null && raw.timeoutSeconds !== '') {
		const seconds = typeof raw.timeoutSeconds === 'number' ? raw.timeoutSeconds : Number(raw.timeoutSeconds);
		if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
			throw new NodeOperationError(ctx.getNode(), `"Request Options > Timeout (Seconds)" must be a number from 1 to 600, not ${JSON.stringify(raw.timeoutSeconds)}`, {
				itemIndex,
				description: 'Set the timeout in seconds, e.g. 120.',
			});
		}
		timeoutMs = seconds * 1000;
	}
	return {
		tenant: tenant || undefined,
		maxRetries: Math.min(20, Math.floor(num(raw.maxRetries, 5))),
		maxRetryWaitMs: Math.max(1, num(raw.maxRetryWaitSeconds, 120)) * 1000,
		quotaShare: Math.min(100, Math.max(1, num(raw.quotaSharePercent, 100))) / 100,
		timeoutMs,
	};
}

function header(headers: IDataObject | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
	const v = key ? headers[key] : undefined;
	return v === undefined || v === null ? undefined : String(v);
}

/** Retry-After in ms (seconds, fractional seconds or an HTTP date; `x-ms-retry-after-ms` wins). */
export function retryAfterMs(headers: IDataObject | undefined, now = Date.now()): number | undefined {
	const ms = header(headers, 'x-ms-retry-after-ms');
	if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
	const ra = header(headers, 'retry-after');
	if (ra === undefined) return undefined;
	if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
	const date = Date.parse(ra);
	return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function backoffMs(retry: number, cap: number, base = transportTuning.baseBackoffMs): number {
	const exp = Math.min(cap, base * 2 ** Math.max(0, retry - 1));
	return exp * (0.5 + Math.random() / 2);
}

/**
 * The one place transport errors are built. Everything in them passes `redactAll` with the
 * secrets in play (token, client secret, private key), since parts of it come from upstream.
 */
function apiError(
	node: INode,
	itemIndex: number | undefined,
	message: string,
	description: string,
	httpCode?: number,
	details: IDataObject = {},
	secrets: Array<string | undefined> = [],
): NodeApiError {
	const clean = redactAll({ message, description, details }, secrets);
	const response: IDataObject = { message: clean.message, description: clean.description, ...clean.details };
	if (httpCode !== undefined) response.httpCode = String(httpCode);
	return new NodeApiError(node, response as JsonObject, {
		message: clean.message,
		description: clean.description,
		httpCode: httpCode !== undefined ? String(httpCode) : undefined,
		itemIndex,
	});
}

/** The secrets of the credentials an upstream could echo (the token in use is added per request). */
function credentialSecrets(...all: Array<DefenderCredentialData | DelegatedCredentialData | undefined>): Array<string | undefined> {
	const out: Array<string | undefined> = [];
	for (const c of all) {
		if (!c) continue;
		const oauth = (c.oauthTokenData ?? {}) as IDataObject;
		for (const v of [c.clientSecret, c.privateKey, c.privateKeyPassphrase, oauth.access_token, oauth.refresh_token]) {
			if (typeof v === 'string') out.push(v);
		}
	}
	return out;
}

function tokenErrorToNodeError(node: INode, itemIndex: number | undefined, error: TokenError): NodeApiError {
	return apiError(node, itemIndex, error.explanation.message, error.explanation.description, error.httpCode, {
		...(error.aadsts !== undefined && { aadsts: error.aadsts }),
	});
}

function resolveUrl(node: INode, req: DefenderRequest, base: string): string {
	if (!req.url) {
		const joined = `${base}${req.path.startsWith('/') ? '' : '/'}${req.path}`;
		// A value put into the path must never change it: no '.'/'..' segments (also as %2e), and
		// no '?', '#' or backslash (URL parsers read a backslash as '/').
		if (/[?#\\]/.test(req.path) || req.path.split('/').some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg))) {
			throw new NodeOperationError(node, 'A value in this item would change the API path', {
				itemIndex: req.itemIndex,
				description: 'IDs and names must not be "." or ".." or contain "/", "?" or "#". Check the ID or name parameter of this item.',
			});
		}
		return joined;
	}
	let parsed: URL | undefined;
	try {
		parsed = new URL(req.url);
	} catch {
		parsed = undefined;
	}
	if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
		throw new NodeOperationError(node, 'The API returned a link that is not an http(s) URL', {
			itemIndex: req.itemIndex,
		});
	}
	if (!req.noAuth) {
		const b = new URL(base);
		if (parsed.origin !== b.origin || !parsed.pathname.startsWith(b.pathname.replace(/\/$/, ''))) {
			throw new NodeOperationError(node, `Refusing to send the access token to ${parsed.origin}`, {
				itemIndex: req.itemIndex,
				description: `Links followed with the token must be on the ${apiDisplayName(req.api)} host (${b.origin}).`,
			});
		}
	}
	return parsed.toString();
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

/** Where a redirect points, and whether that is still the API's host and base path. */
function redirectTarget(current: string, location: string | undefined, base: string): { url?: string; origin: string; sameApi: boolean } {
	let target: URL | undefined;
	try {
		target = location ? new URL(location, current) : undefined;
	} catch {
		target = undefined;
	}
	if (!target || (target.protocol !== 'https:' && target.protocol !== 'http:')) {
		return { origin: 'an unreadable location', sameApi: false };
	}
	const b = new URL(base);
	const sameApi = target.origin === b.origin && target.pathname.startsWith(b.pathname.replace(/\/$/, ''));
	return { url: target.toString(), origin: target.origin, sameApi };
}

/**
 * Errors raised before the request could reach the API (no token, connection refused, host not
 * found). A caller that verifies non-idempotent writes after an unknown outcome skips the check
 * for these: nothing can have been carried out.
 */
const notSentErrors = new WeakSet<object>();

function notSent<E extends object>(error: E): E {
	notSentErrors.add(error);
	return error;
}

/** Whether the error was raised before the request was sent (see `notSentErrors`). */
export function wasNotSent(error: unknown): boolean {
	return typeof error === 'object' && error !== null && notSentErrors.has(error);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Which part of the request holds text that cannot be URL-encoded (an unpaired surrogate). Such
 * a request fails before it is sent ("URI malformed"); it must not be retried as a network error.
 */
function illFormedPart(req: DefenderRequest): string | undefined {
	if (LONE_SURROGATE.test(req.path ?? '') || LONE_SURROGATE.test(req.url ?? '')) return 'path';
	for (const [key, value] of Object.entries(req.qs ?? {})) {
		if (typeof value === 'string' && LONE_SURROGATE.test(value)) return `query parameter ${key}`;
	}
	for (const [key, value] of Object.entries(req.headers ?? {})) {
		if (typeof value === 'string' && LONE_SURROGATE.test(value)) return `header ${key}`;
	}
	return undefined;
}


interface Resolved {
	target?: TokenTarget;
	credentials: DefenderCredentialData;
	options: ItemRequestOptions;
	/** Set for the delegated credential; `signIn`: n8n itself holds and refreshes this API's token. */
	delegated?: { credentials: DelegatedCredentialData; signIn: boolean };
}

/** The node's Authentication parameter ('entraApp' when absent: workflows made before it existed). */
function authenticationOf(ctx: DefenderContext, itemIndex: number | undefined): string {
	try {
		return String(
			isExecuteContext(ctx)
				? ctx.getNodeParameter('authentication', itemIndex ?? 0, 'entraApp')
				: (ctx as IPollFunctions).getNodeParameter('authentication', 'entraApp'),
		);
	} catch {
		return 'entraApp';
	}
}

/** The token target, or the credential problem as a NodeOperationError. */
function targetOrThrow(ctx: DefenderContext, itemIndex: number | undefined, resolve: () => TokenTarget): TokenTarget {
	let target: TokenTarget | undefined;
	let problem: TokenError | undefined;
	try {
		target = resolve();
	} catch (error) {
		problem = error instanceof TokenError ? error : new TokenError({ message: 'The credential is invalid', description: '' });
	}
	if (!target) {
		throw new NodeOperationError(ctx.getNode(), problem!.explanation.message, {
			itemIndex,
			description: problem!.explanation.description,
		});
	}
	return target;
}

async function resolveDelegated(ctx: DefenderContext, req: DefenderRequest): Promise<Resolved> {
	const credentials = (await ctx.getCredentials(DELEGATED_CREDENTIAL_TYPE, req.itemIndex ?? 0)) as DelegatedCredentialData;
	const options = readRequestOptions(ctx, req.itemIndex);
	if (options.tenant) {
		throw new NodeOperationError(ctx.getNode(), 'Tenant ID Override does not apply to a delegated credential', {
			itemIndex: req.itemIndex,
			description: 'A delegated sign-in belongs to one customer tenant: create one Microsoft Defender Delegated OAuth2 API credential per customer and clear the override.',
		});
	}
	const target = targetOrThrow(ctx, req.itemIndex, () => delegatedTarget(credentials, req.api));
	return {
		target,
		credentials: {},
		options,
		delegated: { credentials, signIn: signInFamily(credentials) === req.api },
	};
}

async function resolveContext(ctx: DefenderContext, req: DefenderRequest): Promise<Resolved> {
	if (authenticationOf(ctx, req.itemIndex) === 'delegatedOAuth2') return await resolveDelegated(ctx, req);
	const credentials = (await ctx.getCredentials(CREDENTIAL_TYPE, req.itemIndex ?? 0)) as DefenderCredentialData;
	const options = readRequestOptions(ctx, req.itemIndex);
	const target = targetOrThrow(ctx, req.itemIndex, () => tokenTarget(credentials, req.api, options.tenant));
	return { target, credentials, options };
}

/** A token for the family and the item's tenant (NodeApiError on failure). */
export async function getDefenderToken(
	this: DefenderContext,
	api: ApiFamily,
	itemIndex?: number,
	opts: { fresh?: boolean } = {},
): Promise<{ token: string; tenant: string; scope: string; authority: string }> {
	const { target, credentials, options, delegated } = await resolveContext(this, { api, method: 'GET', path: '', itemIndex });
	if (opts.fresh) dropToken(target!);
	let token: string | undefined;
	let failure: TokenError | undefined;
	try {
		token = delegated
			? delegated.signIn
				? storedAccessToken(delegated.credentials)
				: await getDelegatedToken(this, delegated.credentials, target!)
			: await getAccessToken(this, credentials, target!, { maxWaitMs: options.maxRetryWaitMs });
	} catch (error) {
		failure = error instanceof TokenError ? error : new TokenError({ message: 'Could not get an access token', description: '' });
	}
	if (!token) throw tokenErrorToNodeError(this.getNode(), itemIndex, failure!);
	return { token, tenant: target!.tenant, scope: target!.scope, authority: target!.endpoints.authority };
}

/** The full response of one API call (status judged, retries done). */
export async function defenderApiRequestFull<T = IDataObject>(
	this: DefenderContext,
	req: DefenderRequest,
	acceptStatus: number[] = [],
	/** A 2xx body failing this check counts as malformed (retried when idempotent). */
	isComplete?: (body: unknown) => boolean,
): Promise<DefenderResponse<T>> {
	const node = this.getNode();
	const illFormed = illFormedPart(req);
	if (illFormed) {
		throw new NodeOperationError(node, `A parameter value contains an invalid character (an unpaired UTF-16 surrogate) in the ${illFormed} of ${req.method} ${req.path}`, {
			itemIndex: req.itemIndex,
			description: 'A value was probably cut in the middle of an emoji or another character outside the basic plane. Fix the expression that builds it; nothing was sent.',
		});
	}
	const { target, credentials, options, delegated } = await resolveContext(this, req);
	const tgt = target!;
	const base = tgt.endpoints.api[req.api].baseUrl;
	let url = resolveUrl(node, req, base);
	const method = (req.method ?? 'GET').toUpperCase() as IHttpRequestMethods;
	const idempotent = req.idempotent ?? method !== 'POST';
	const quotaKey = quotaFor(req);
	const paceKey = `${tgt.endpoints.authority}|${tgt.tenant.toLowerCase()}|${quotaKey}`;
	const defaultTimeout = quotaKey.endsWith('Hunting') ? 210000 : 120000;
	const timeout = req.timeoutMs ?? options.timeoutMs ?? defaultTimeout;
	const where = `${method} ${req.url ? new URL(url).pathname : req.path}`;
	let retries = 0;
	let refreshed = false;
	let redirects = 0;
	const secrets = credentialSecrets(credentials, delegated?.credentials);

	for (;;) {
		let token = '';
		if (!req.noAuth) {
			let failure: TokenError | undefined;
			try {
				if (!delegated) token = await getAccessToken(this, credentials, tgt, { maxWaitMs: options.maxRetryWaitMs });
				// The Sign-In API's token is the one n8n stores (and refreshes: see the 401 below).
				else if (delegated.signIn) token = storedAccessToken(delegated.credentials);
				else token = await getDelegatedToken(this, delegated.credentials, tgt);
			} catch (error) {
				failure = error instanceof TokenError ? error : new TokenError({ message: 'Could not get an access token', description: '' });
			}
			// No token: this attempt was not sent (and an earlier one was answered 401 or 429).
			if (!token) throw notSent(tokenErrorToNodeError(node, req.itemIndex, failure!));
			secrets.push(token);
		}
		await waitOutThrottle(paceKey);
		const paced = req.noAuth ? undefined : await pace(paceKey, QUOTAS[quotaKey], options.quotaShare);

		const headers: IDataObject = { ...(req.headers ?? {}) };
		if (!req.noAuth) headers.Authorization = `Bearer ${token}`;
		if (req.api === 'graph' && !req.noAuth && header(headers, 'prefer') === undefined) {
			headers.Prefer = 'include-unknown-enum-members';
		}
		const httpOptions: IHttpRequestOptions = {
			method,
			url,
			headers,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout,
			// The token goes to the API host only. n8n follows redirects and re-attaches the
			// Authorization header on a redirect to another origin by default: redirects of
			// authenticated requests are judged below instead.
			disableFollowRedirect: !req.noAuth,
			sendCredentialsOnCrossOriginRedirect: false,
		};
		if (req.qs && Object.keys(req.qs).length && !req.url) httpOptions.qs = req.qs;
		if (req.binary || req.stream) {
			httpOptions.encoding = req.stream ? 'stream' : 'arraybuffer';
			httpOptions.json = false;
		} else {
			httpOptions.json = !req.rawBody;
		}
		if (req.rawBody !== undefined && method !== 'GET') {
			httpOptions.body = req.rawBody;
		} else if (req.body !== undefined && method !== 'GET') {
			httpOptions.body = req.body as IDataObject;
			if (header(headers, 'content-type') === undefined) headers['Content-Type'] = 'application/json';
		}

		let res: { statusCode: number; body: unknown; headers: IDataObject } | undefined;
		let networkCode = '';
		const releaseHunting = quotaKey.endsWith('Hunting') ? await acquireHuntingSlot(paceKey) : undefined;
		try {
			res = (await this.helpers.httpRequest(httpOptions)) as typeof res;
		} catch (error) {
			// Never pass the raw error on: its request config carries the Authorization header.
			const e = error as { code?: unknown; response?: { status?: number; data?: unknown; headers?: IDataObject } };
			const st = e?.response?.status;
			if (st !== undefined && st >= 300) {
				// Only on hosts that ignore ignoreHttpStatusErrors: a complete HTTP error answer.
				res = { statusCode: st, body: e.response!.data, headers: e.response!.headers ?? {} };
			} else if (error instanceof URIError) {
				// The request could not even be built (nothing was sent): retrying cannot help.
				throw new NodeOperationError(node, `Could not build the request ${where}: ${(error as Error).message}`, {
					itemIndex: req.itemIndex,
					description: 'A parameter value cannot be sent as it is; check the values of this item. Nothing was sent.',
				});
			} else {
				// No answer, or an answer cut off mid-body (reset): the outcome is unknown.
				networkCode = String(e?.code ?? 'ECONNRESET');
			}
		} finally {
			released(paced);
			releaseHunting?.();
		}

		if (!res) {
			const neverSent = networkCode === 'ECONNREFUSED' || networkCode === 'ENOTFOUND' || networkCode === 'EAI_AGAIN';
			if ((idempotent || networkCode === 'ECONNREFUSED') && retries < options.maxRetries) {
				retries++;
				await sleep(backoffMs(retries, options.maxRetryWaitMs));
				continue;
			}
			const reason = NETWORK_REASONS[networkCode] ?? 'network error';
			const failure = apiError(
				node,
				req.itemIndex,
				idempotent || neverSent
					? `Could not reach the ${apiDisplayName(req.api)} (${where}; ${reason})${retries ? ` after ${retries} retries` : ''}`
					: `The connection failed while sending ${where} (${reason}); the request may have reached Microsoft, so it was not repeated`,
				idempotent || neverSent
					? 'Check that n8n can reach the API host (proxy, firewall, DNS) and the Cloud/base URLs of the credential; then run again.'
					: 'Check in the Defender portal (or with Machine Action: Get Many) whether the action was created before running the item again.',
				undefined,
				{ networkError: networkCode },
				secrets,
			);
			throw neverSent ? notSent(failure) : failure;
		}

		const status = res.statusCode;
		const resHeaders = (res.headers ?? {}) as IDataObject;
		if (REDIRECT_STATUS.has(status) && !req.noAuth) {
			const next = redirectTarget(url, header(resHeaders, 'location'), base);
			// Only reads follow a redirect, and only on the API's own host and base path.
			if (next.sameApi && method === 'GET' && redirects < MAX_REDIRECTS) {
				redirects++;
				url = next.url!;
				continue;
			}
			throw apiError(
				node,
				req.itemIndex,
				`The ${apiDisplayName(req.api)} answered ${where} with a redirect (HTTP ${status}) to ${next.origin}; it was not followed`,
				next.sameApi
					? `Only reads follow redirects (at most ${MAX_REDIRECTS}); ${method} requests are never repeated at another address. Check the credential's base URLs.`
					: `The access token is only sent to the ${apiDisplayName(req.api)} host (${new URL(base).origin}). Check the Cloud and, for Custom Endpoints, the base URLs of the credential, or a proxy between n8n and Microsoft that redirects requests.`,
				status,
				{},
				secrets,
			);
		}
		if (req.stream && isReadable(res.body)) {
			if ((status >= 200 && status < 300) || acceptStatus.includes(status)) {
				return { statusCode: status, body: res.body as unknown as T, headers: resHeaders };
			}
			// An error answer: read its (small) body for the message.
			res.body = await readAll(res.body);
		}
		if ((status >= 200 && status < 300) || acceptStatus.includes(status)) {
			if (req.binary) {
				const b = res.body;
				const buf = Buffer.isBuffer(b) ? b : b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(String(b ?? ''));
				return { statusCode: status, body: buf as unknown as T, headers: resHeaders };
			}
			let body = res.body;
			let malformed = false;
			if (Buffer.isBuffer(body)) body = body.toString('utf8');
			if (typeof body === 'string') {
				const text = body.trim();
				if (!text) body = {};
				else {
					try {
						body = JSON.parse(text);
					} catch {
						malformed = true;
					}
				}
			}
			if (!malformed && isComplete && status >= 200 && status < 300 && !isComplete(body)) malformed = true;
			if (malformed) {
				if (idempotent && retries < options.maxRetries) {
					retries++;
					await sleep(backoffMs(retries, options.maxRetryWaitMs));
					continue;
				}
				throw apiError(
					node,
					req.itemIndex,
					`The ${apiDisplayName(req.api)} answered ${where} with a response that was not valid JSON`,
					idempotent
						? `The response stayed malformed after ${retries} retries (a proxy or a truncated answer). Try again later.`
						: 'The request was accepted but its answer could not be read; check the result in the Defender portal before repeating it.',
					status,
					{},
					secrets,
				);
			}
			if (body === undefined || body === null) body = {};
			return { statusCode: status, body: body as T, headers: resHeaders };
		}

		if (status === 401 && !req.noAuth && !refreshed) {
			refreshed = true;
			if (!delegated) invalidateToken(tgt, token);
			else if (!delegated.signIn) invalidateDelegatedToken(tgt, token);
			else {
				try {
					await renewSignInToken(this, delegated.credentials, tgt, req.itemIndex);
				} catch (error) {
					const problem =
						error instanceof TokenError
							? error
							: new TokenError({ message: 'Could not renew the delegated sign-in', description: 'Open the credential and press "Reconnect".' });
					throw tokenErrorToNodeError(node, req.itemIndex, problem);
				}
			}
			continue;
		}
		if (status === 429 && retries < options.maxRetries) {
			const asked = retryAfterMs(resHeaders);
			const wait = asked ?? backoffMs(retries + 1, options.maxRetryWaitMs, transportTuning.throttleBackoffMs);
			if (wait <= options.maxRetryWaitMs) {
				retries++;
				this.logger?.debug?.(`Microsoft Defender: throttled on ${quotaKey}, waiting ${Math.round(wait)} ms`);
				// The pause holds every request of this process on the quota (see throttledUntil).
				throttledUntil.set(paceKey, Math.max(throttledUntil.get(paceKey) ?? 0, Date.now() + wait));
				continue;
			}
		}
		if (RETRYABLE_STATUS.has(status) && idempotent && retries < options.maxRetries) {
			retries++;
			await sleep(backoffMs(retries, options.maxRetryWaitMs));
			continue;
		}

		const explained = status === 403 && delegated
			? { ...explainApiError(status, res.body, { family: req.api, method, path: req.path }), ...explainForbiddenDelegated(req, delegated, token, res.body) }
			: explainApiError(status, res.body, {
			family: req.api,
			method,
			path: req.path,
			operation: req.operation,
			tenant: tgt.tenant,
		});
		let description = explained.description;
		if (status === 429) {
			const asked = retryAfterMs(resHeaders);
			if (asked !== undefined) description = `Microsoft asks to retry after ${Math.ceil(asked / 1000)} s. ${description}`;
		}
		if (RETRYABLE_STATUS.has(status) && !idempotent) {
			description = `${where} is not repeated automatically because it may already have been carried out. ${description}`;
		}
		throw apiError(node, req.itemIndex, explained.message, description, status, {
			...(explained.code && { code: explained.code }),
			...(explained.target && { target: explained.target }),
			...(explained.requestId && { requestId: explained.requestId }),
			...(explained.message && { apiMessage: String(parseApiError(res.body).message ?? '') }),
		}, secrets);
	}
}

/** A 403 on a delegated token: the app's delegated permission, or the user's Defender role? */
function explainForbiddenDelegated(
	req: DefenderRequest,
	delegated: NonNullable<Resolved['delegated']>,
	token: string,
	body: unknown,
): { message: string; description: string } {
	const row = permissionRow(req.operation, req.api);
	const { scp, user } = delegatedClaims(token);
	return explainDelegatedForbidden(
		req.api,
		scp,
		row ? delegatedScopes(row) : [],
		row ? userPermissionFor(row) : undefined,
		user,
		parseApiError(body).message,
	);
}

function isReadable(body: unknown): body is AsyncIterable<Buffer | string> {
	return !!body && typeof (body as { pipe?: unknown }).pipe === 'function' && Symbol.asyncIterator in (body as object);
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
	return Buffer.concat(chunks);
}

/** One API call; returns the parsed body (a Buffer for `binary`). */
export async function defenderApiRequest<T = IDataObject>(this: DefenderContext, req: DefenderRequest): Promise<T> {
	const res = await defenderApiRequestFull.call(this, req);
	return res.body as T;
}

function recordKey(r: IDataObject): string | undefined {
	const id = r?.id;
	return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/**
 * Pages of a list endpoint (records, not envelopes).
 *  - MDE: `$top` + `$skip` until a short page (`$top` suppresses nextLink on MDE, so a
 *    listing that is an exact multiple of the page size costs one extra, empty call).
 *  - Graph: `@odata.nextLink`; alerts_v2 may omit it on a full page: when no page of the listing
 *    had a link, continue with `$skip`.
 * Records already seen (same `id`) are not yielded twice.
 */
export async function* defenderApiPages(
	this: DefenderContext,
	req: DefenderRequest,
	page: { endpoint: PagedEndpoint; limit?: number; pageSize?: number },
): AsyncGenerator<IDataObject[]> {
	const pl: PageLimit = PAGE_LIMITS[page.endpoint];
	const limit = page.limit !== undefined && page.limit >= 0 ? page.limit : undefined;
	const baseQs: IDataObject = { ...(req.qs ?? {}) };
	const startSkip = Number(baseQs.$skip ?? 0) || 0;
	delete baseQs.$top;
	delete baseQs.$skip;
	const seen = new Set<string>();
	let yielded = 0;
	let consumed = 0;
	let sawNextLink = false;

	const take = (records: IDataObject[]): IDataObject[] => {
		const fresh: IDataObject[] = [];
		for (const r of records) {
			const k = recordKey(r);
			if (k !== undefined) {
				if (seen.has(k)) continue;
				seen.add(k);
			}
			if (limit !== undefined && yielded + fresh.length >= limit) break;
			fresh.push(r);
		}
		yielded += fresh.length;
		return fresh;
	};

	if (limit === 0) return;
	// `none`: no paging options at all (an undocumented $top/$skip may be ignored or refused).
	const top =
		pl.style === 'none'
			? Number.POSITIVE_INFINITY
			: Math.min(pl.maxPageSize ?? Number.POSITIVE_INFINITY, limit ?? Number.POSITIVE_INFINITY, Math.max(1, page.pageSize ?? Number.POSITIVE_INFINITY));

	let next: DefenderRequest = {
		...req,
		method: req.method ?? 'GET',
		qs: pl.style === 'none' ? baseQs : { ...baseQs, $top: top, ...(startSkip && { $skip: startSkip }) },
	};
	for (;;) {
		const isFirst = consumed === 0;
		const res = await defenderApiRequestFull.call<
			DefenderContext,
			[DefenderRequest, number[], (b: unknown) => boolean],
			Promise<DefenderResponse<IDataObject>>
		>(
			this,
			next,
			// GET /api/machines answers 404 (not an empty list) when the tenant has no recent machines.
			page.endpoint === 'mdeMachines' && isFirst ? [404] : [],
			(b) => Array.isArray((b as IDataObject | undefined)?.value),
		);
		if (res.statusCode === 404) return;
		const body = res.body ?? {};
		const records = Array.isArray(body.value) ? (body.value as IDataObject[]) : [];
		consumed += records.length;
		const fresh = take(records);
		if (fresh.length) yield fresh;
		if (limit !== undefined && yielded >= limit) return;
		if (records.length === 0) return;

		const link = body['@odata.nextLink'];
		if (typeof link === 'string' && link) {
			sawNextLink = true;
			next = { ...req, method: 'GET', url: link, qs: undefined };
			continue;
		}
		// No link. A short page, or a page of only repeats, is the end.
		if (pl.style === 'none' || records.length < top || fresh.length === 0) return;
		// A full page without a link: the end if this listing pages by links, else probe with $skip.
		if (sawNextLink) return;
		if (pl.style === 'nextLink' && !pl.nextLinkUnreliable) return;
		next = { ...req, method: 'GET', url: undefined, qs: { ...baseQs, $top: top, $skip: startSkip + consumed } };
	}
}

/** All records of a list endpoint, up to `limit` (undefined = all). */
export async function defenderApiRequestAllItems(
	this: DefenderContext,
	req: DefenderRequest,
	page: { endpoint: PagedEndpoint; limit?: number },
): Promise<IDataObject[]> {
	const all: IDataObject[] = [];
	for await (const records of defenderApiPages.call(this, req, page)) all.push(...records);
	return all;
}
