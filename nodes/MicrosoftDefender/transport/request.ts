/**
 * One API call: the request entry. Always calls `helpers.httpRequest` with `returnFullResponse`
 * + `ignoreHttpStatusErrors` and judges the status itself, so it behaves the same on every n8n
 * version. Tokens (auth.ts), pacing (pacing.ts), retries (retries.ts), addresses (url.ts) and
 * errors (errors.ts) each live in their own file.
 */
import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, INode } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { quotaFor, pauseQuota, takeTurn } from './pacing';
import { RETRYABLE_STATUS, Retries, retryAfterMs } from './retries';
import { asBuffer, isReadable, parseJsonBody, readAll } from './response';
import { renewAfterUnauthorized, resolveAuth, tokenOrThrow, type Resolved } from './auth';
import {
	answerError,
	credentialSecrets,
	malformedAnswer,
	networkFailure,
	redirectRefused,
	type RequestDescription,
} from './errors';
import { illFormedPart, MAX_REDIRECTS, redirectTarget, REDIRECT_STATUS, resolveUrl } from './url';
import { header, type DefenderContext, type DefenderRequest, type DefenderResponse } from './types';
import type { QuotaKey } from '../helpers/limits';

/** Everything about one call that stays the same across its attempts, plus its retry state. */
interface Call extends RequestDescription {
	req: DefenderRequest;
	auth: Resolved;
	method: IHttpRequestMethods;
	url: string;
	base: string;
	quotaKey: QuotaKey;
	paceKey: string;
	timeout: number;
	retries: Retries;
	refreshed: boolean;
	redirects: number;
	acceptStatus: number[];
	isComplete?: (body: unknown) => boolean;
}

type RawAnswer = { statusCode: number; body: unknown; headers: IDataObject };

/** What to do after an attempt: return, try again (after `waitMs`), or nothing else (thrown). */
type Step<T> = { done: DefenderResponse<T> } | { again: true; waitMs?: number };

function checkWellFormed(node: INode, req: DefenderRequest): void {
	const illFormed = illFormedPart(req);
	if (illFormed) {
		throw new NodeOperationError(node, `A parameter value contains an invalid character (an unpaired UTF-16 surrogate) in the ${illFormed} of ${req.method} ${req.path}`, {
			itemIndex: req.itemIndex,
			description: 'A value was probably cut in the middle of an emoji or another character outside the basic plane. Fix the expression that builds it; nothing was sent.',
		});
	}
}

async function prepare(ctx: DefenderContext, req: DefenderRequest, acceptStatus: number[], isComplete?: (body: unknown) => boolean): Promise<Call> {
	const node = ctx.getNode();
	checkWellFormed(node, req);
	const auth = await resolveAuth(ctx, req.api, req.itemIndex);
	const target = auth.target;
	const base = target.endpoints.api[req.api].baseUrl;
	const url = resolveUrl(node, req, base);
	const method = (req.method ?? 'GET').toUpperCase() as IHttpRequestMethods;
	const quotaKey = quotaFor(req);
	const defaultTimeout = quotaKey.endsWith('Hunting') ? 210000 : 120000;
	return {
		node,
		itemIndex: req.itemIndex,
		api: req.api,
		where: `${method} ${req.url ? new URL(url).pathname : req.path}`,
		idempotent: req.idempotent ?? method !== 'POST',
		secrets: credentialSecrets(auth.credentials, auth.delegated?.credentials),
		req,
		auth,
		method,
		url,
		base,
		quotaKey,
		paceKey: `${target.endpoints.authority}|${target.tenant.toLowerCase()}|${quotaKey}`,
		timeout: req.timeoutMs ?? auth.options.timeoutMs ?? defaultTimeout,
		retries: new Retries(auth.options),
		refreshed: false,
		redirects: 0,
		acceptStatus,
		isComplete,
	};
}

function httpOptionsOf(call: Call, token: string): IHttpRequestOptions {
	const { req, method } = call;
	const headers: IDataObject = { ...(req.headers ?? {}) };
	if (!req.noAuth) headers.Authorization = `Bearer ${token}`;
	if (req.api === 'graph' && !req.noAuth && header(headers, 'prefer') === undefined) {
		headers.Prefer = 'include-unknown-enum-members';
	}
	const options: IHttpRequestOptions = {
		method,
		url: call.url,
		headers,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: call.timeout,
		// The token goes to the API host only. n8n follows redirects and re-attaches the
		// Authorization header on a redirect to another origin by default: redirects of
		// authenticated requests are judged in `judge` instead.
		disableFollowRedirect: !req.noAuth,
		sendCredentialsOnCrossOriginRedirect: false,
	};
	if (req.qs && Object.keys(req.qs).length && !req.url) options.qs = req.qs;
	if (req.binary || req.stream) {
		options.encoding = req.stream ? 'stream' : 'arraybuffer';
		options.json = false;
	} else {
		options.json = !req.rawBody;
	}
	if (req.rawBody !== undefined && method !== 'GET') {
		options.body = req.rawBody;
	} else if (req.body !== undefined && method !== 'GET') {
		options.body = req.body as IDataObject;
		if (header(headers, 'content-type') === undefined) headers['Content-Type'] = 'application/json';
	}
	return options;
}

/** Sends one attempt: the answer, or the network error code when there was none. */
async function send(ctx: DefenderContext, call: Call, token: string): Promise<{ res?: RawAnswer; networkCode: string }> {
	const options = httpOptionsOf(call, token);
	const release = await takeTurn(call.paceKey, call.quotaKey, call.auth.options.quotaShare, !call.req.noAuth);
	try {
		return { res: (await ctx.helpers.httpRequest(options)) as RawAnswer, networkCode: '' };
	} catch (error) {
		// Never pass the raw error on: its request config carries the Authorization header.
		const e = error as { code?: unknown; response?: { status?: number; data?: unknown; headers?: IDataObject } };
		const st = e?.response?.status;
		if (st !== undefined && st >= 300) {
			// Only on hosts that ignore ignoreHttpStatusErrors: a complete HTTP error answer.
			return { res: { statusCode: st, body: e.response!.data, headers: e.response!.headers ?? {} }, networkCode: '' };
		}
		if (error instanceof URIError) {
			// The request could not even be built (nothing was sent): retrying cannot help.
			throw new NodeOperationError(call.node, `Could not build the request ${call.where}: ${error.message}`, {
				itemIndex: call.itemIndex,
				description: 'A parameter value cannot be sent as it is; check the values of this item. Nothing was sent.',
			});
		}
		// No answer, or an answer cut off mid-body (reset): the outcome is unknown.
		return { networkCode: String(e?.code ?? 'ECONNRESET') };
	} finally {
		release();
	}
}

function isAccepted(call: Call, status: number): boolean {
	return (status >= 200 && status < 300) || call.acceptStatus.includes(status);
}

/** A 2xx (or accepted) answer: the parsed body, or another attempt when it is malformed. */
function success<T>(call: Call, status: number, res: RawAnswer): Step<T> {
	const headers = res.headers;
	if (call.req.binary) return { done: { statusCode: status, body: asBuffer(res.body) as unknown as T, headers } };
	const is2xx = status >= 200 && status < 300;
	const parsed = parseJsonBody(res.body, is2xx ? call.isComplete : undefined);
	if (!parsed.malformed) return { done: { statusCode: status, body: parsed.body as T, headers } };
	const waitMs = call.retries.nextBackoff(call.idempotent);
	if (waitMs !== undefined) return { again: true, waitMs };
	throw malformedAnswer(call, status, call.retries.count);
}

/** A redirect of an authenticated request: reads follow it on the API's own host, else an error. */
function redirect(call: Call, status: number, headers: IDataObject): Step<never> {
	const next = redirectTarget(call.url, header(headers, 'location'), call.base);
	if (next.sameApi && call.method === 'GET' && call.redirects < MAX_REDIRECTS) {
		call.redirects++;
		call.url = next.url!;
		return { again: true };
	}
	throw redirectRefused({ ...call, baseOrigin: new URL(call.base).origin, maxRedirects: MAX_REDIRECTS }, status, next);
}

/** A non-2xx answer: renew the token once after 401, wait out 429, back off on 5xx, or give up. */
async function failure(ctx: DefenderContext, call: Call, status: number, res: RawAnswer, token: string): Promise<Step<never>> {
	if (status === 401 && !call.req.noAuth && !call.refreshed) {
		call.refreshed = true;
		await renewAfterUnauthorized(ctx, call.auth, token, call.itemIndex);
		return { again: true };
	}
	if (status === 429) {
		const wait = call.retries.nextThrottleWait(res.headers);
		if (wait !== undefined) {
			ctx.logger?.debug?.(`Microsoft Defender: throttled on ${call.quotaKey}, waiting ${Math.round(wait)} ms`);
			// The pause holds every request of this process on the quota (see pacing.ts).
			pauseQuota(call.paceKey, wait);
			return { again: true };
		}
	}
	if (RETRYABLE_STATUS.has(status)) {
		const waitMs = call.retries.nextBackoff(call.idempotent);
		if (waitMs !== undefined) return { again: true, waitMs };
	}
	let prefix = '';
	const asked = status === 429 ? retryAfterMs(res.headers) : undefined;
	if (asked !== undefined) prefix = `Microsoft asks to retry after ${Math.ceil(asked / 1000)} s. `;
	if (RETRYABLE_STATUS.has(status) && !call.idempotent) {
		prefix = `${call.where} is not repeated automatically because it may already have been carried out. ${prefix}`;
	}
	throw answerError(
		{
			...call,
			path: call.req.path,
			operation: call.req.operation,
			tenant: call.auth.target.tenant,
			delegatedToken: call.auth.delegated ? token : undefined,
			prefix,
		},
		status,
		res.body,
	);
}

/** Judges one attempt's outcome. */
async function judge<T>(ctx: DefenderContext, call: Call, outcome: { res?: RawAnswer; networkCode: string }, token: string): Promise<Step<T>> {
	const res = outcome.res;
	if (!res) {
		const waitMs = call.retries.nextBackoff(call.idempotent || outcome.networkCode === 'ECONNREFUSED');
		if (waitMs !== undefined) return { again: true, waitMs };
		throw networkFailure(call, outcome.networkCode, call.retries.count);
	}
	const status = res.statusCode;
	res.headers = (res.headers ?? {}) as IDataObject;
	if (REDIRECT_STATUS.has(status) && !call.req.noAuth) return redirect(call, status, res.headers);
	if (call.req.stream && isReadable(res.body)) {
		if (isAccepted(call, status)) return { done: { statusCode: status, body: res.body as unknown as T, headers: res.headers } };
		// An error answer: read its (small) body for the message.
		res.body = await readAll(res.body);
	}
	if (isAccepted(call, status)) return success<T>(call, status, res);
	return await failure(ctx, call, status, res, token);
}

/** The full response of one API call (status judged, retries done). */
export async function defenderApiRequestFull<T = IDataObject>(
	this: DefenderContext,
	req: DefenderRequest,
	acceptStatus: number[] = [],
	/** A 2xx body failing this check counts as malformed (retried when idempotent). */
	isComplete?: (body: unknown) => boolean,
): Promise<DefenderResponse<T>> {
	const call = await prepare(this, req, acceptStatus, isComplete);
	for (;;) {
		let token = '';
		if (!req.noAuth) {
			// No token: this attempt is not sent (an earlier one may have been answered 401 or 429).
			token = await tokenOrThrow(this, call.auth, req.itemIndex);
			call.secrets.push(token);
		}
		const step = await judge<T>(this, call, await send(this, call, token), token);
		if ('done' in step) return step.done;
		if (step.waitMs !== undefined) await sleep(step.waitMs);
	}
}

/** One API call; returns the parsed body (a Buffer for `binary`). */
export async function defenderApiRequest<T = IDataObject>(this: DefenderContext, req: DefenderRequest): Promise<T> {
	const res = await defenderApiRequestFull.call(this, req);
	return res.body as T;
}
