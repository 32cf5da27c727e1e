/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * The request pipeline shared by the HTTP and HTTPS servers:
 * control routes | Entra | API route → faults → auth → quota → handler → render, and the log.
 */
import type * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
	ApiError,
	type ApiFamily,
	type ApiRequest,
	type ApiResponse,
	type CallerAuth,
	type EmulatorMode,
	type RouteDef,
} from '../types';
import { renderApiError } from './apiErrors';
import { authenticate } from './auth';
import type { CoreContext, CoreResponse, LogFamily, RequestLogEntry } from './context';
import { aadError, handleEntra, isEntraPath } from './entra';
import type { Faults } from './faults';
import { windowLabel, type Quotas } from './quotas';
import { Router } from './router';

export interface ControlApi {
	handle(
		method: string,
		segments: string[],
		body: unknown,
		origin: string,
		query: Record<string, string>,
	): Promise<CoreResponse> | CoreResponse;
}

export interface PipelineOptions {
	ctx: CoreContext;
	routes: RouteDef<never>[];
	getStore: (tenantId: string) => unknown;
	quotas: Quotas;
	faults: Faults;
	timeScale: number;
	log: RequestLogEntry[];
	maxLog: number;
	control: ControlApi;
	/** Strict/lenient and the seeded variants, handed to every handler. */
	mode?: EmulatorMode;
	/** Origin of the redirect trap (another port), the default target of 'redirect' faults. */
	trapUrl?: () => string;
}

const MAX_BODY = 64 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function readBody(req: http.IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > MAX_BODY) {
				reject(new Error('body too large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(req.headers)) {
		if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
	}
	return out;
}

/** Family guessed from the path when no route matched (for the 404 shape). */
function guessFamily(path: string): ApiFamily {
	return /^\/(v1\.0|beta)\//i.test(path) ? 'graph' : 'mde';
}

const FAULT_CODES: Record<number, [string, string]> = {
	500: ['InternalServerError', 'An unexpected error occurred. (injected fault)'],
	502: ['BadGateway', 'Bad gateway. (injected fault)'],
	503: ['ServiceUnavailable', 'The service is temporarily unavailable. (injected fault)'],
	504: ['GatewayTimeout', 'The operation timed out. (injected fault)'],
};

/**
 * Answers of the 'redirect' and 'echo' faults. 'echo' plays an upstream that copies the request
 * into its error (Authorization header, form fields decoded: client_secret, client_assertion),
 * which is what the secret canary scans look for.
 */
function hostileAnswer(
	fault: PendingFaultLike,
	o: PipelineOptions,
	entry: RequestLogEntry,
	url: URL,
	headers: Record<string, string>,
	body: string,
	entra: boolean,
	family: ApiFamily,
	errOpts: { now: number; clientRequestId?: string },
): CoreResponse {
	if (fault.kind === 'redirect') {
		const location = fault.location ?? `${o.trapUrl?.() ?? url.origin}${url.pathname}${url.search}`;
		return { status: fault.status ?? 302, headers: { location }, body: { moved: location } };
	}
	const params = new URLSearchParams(body);
	const form = [...params].map(([k, v]) => `${k}=${v}`).join('&');
	entry.echoed = [
		(headers.authorization ?? '').replace(/^Bearer\s+/i, ''),
		params.get('client_secret') ?? '',
		params.get('client_assertion') ?? '',
	].filter((v) => v.length > 0);
	const echoed = `Authorization: ${headers.authorization ?? '(none)'}; body: ${form || body}`;
	if (entra) {
		return {
			status: fault.status ?? 400,
			body: {
				error: 'invalid_request',
				error_description: `AADSTS9002313: Invalid request. Request was: ${echoed}\r\nTrace ID: echo`,
				error_codes: [9002313],
			},
		};
	}
	const r = renderApiError(family, fault.status ?? 400, 'InvalidRequest', `Echo of the request: ${echoed}`, errOpts);
	const b = r.body as { error?: Record<string, unknown> } | undefined;
	if (b?.error) b.error.target = headers.authorization ?? '';
	return r;
}

type PendingFaultLike = { kind: unknown; status?: number; location?: string };

export function createPipeline(o: PipelineOptions) {
	/** Processing start per request, for the `x-emulator-ms` header (excludes upload and injected latency). */
	const started = new WeakMap<http.IncomingMessage, number>();
	const router = new Router<never>(o.routes);
	const { ctx } = o;

	function pushLog(entry: RequestLogEntry) {
		o.log.push(entry);
		// Trim in batches so a full log does not cost a big splice per request.
		if (o.log.length > o.maxLog + Math.max(1, Math.floor(o.maxLog / 10))) {
			o.log.splice(0, o.log.length - o.maxLog);
		}
	}

	function send(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		r: CoreResponse,
		fault?: 'reset' | 'malformed' | 'slow',
		holdMs = 30000,
	) {
		if (r.stream && !fault) {
			const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
			if (r.contentType) headers['content-type'] = r.contentType;
			res.writeHead(r.status, headers);
			const source = r.stream();
			source.on('error', () => res.destroy());
			source.pipe(res);
			return;
		}
		let payload: Buffer;
		let contentType = r.contentType;
		if (r.raw !== undefined) {
			payload = Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw);
		} else if (r.body !== undefined && r.status !== 204 && r.status !== 304) {
			payload = Buffer.from(JSON.stringify(r.body));
			contentType ??= 'application/json; charset=utf-8';
		} else {
			payload = Buffer.alloc(0);
		}
		const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
		const t0 = started.get(req);
		if (t0 !== undefined) headers['x-emulator-ms'] = (performance.now() - t0).toFixed(1);
		if (contentType) headers['content-type'] = contentType;
		if (fault === 'malformed') {
			// A complete HTTP message whose JSON is cut off.
			const text =
				payload.length > 2
					? payload.subarray(0, Math.max(1, Math.floor(payload.length / 2)))
					: Buffer.from('{"value":[');
			headers['content-type'] = 'application/json; charset=utf-8';
			headers['content-length'] = text.length;
			res.writeHead(200, headers);
			res.end(text);
			return;
		}
		headers['content-length'] = payload.length;
		if (fault === 'reset') {
			// Headers and part of the body, then the connection dies mid-body.
			const part =
				payload.length > 1 ? payload.subarray(0, Math.floor(payload.length / 2)) : Buffer.from('{');
			if (payload.length <= 1) headers['content-length'] = 64;
			res.writeHead(r.status, headers);
			res.flushHeaders();
			res.write(part, () => {
				setImmediate(() => req.socket.destroy());
			});
			return;
		}
		if (fault === 'slow') {
			// Carried out; the answer comes too late (or never, when the client gave up first).
			const timer = setTimeout(() => {
				if (res.destroyed || req.socket.destroyed) return;
				res.writeHead(r.status, headers);
				res.end(payload);
			}, holdMs);
			timer.unref?.();
			return;
		}
		res.writeHead(r.status, headers);
		res.end(payload);
	}

	async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const secure = Boolean((req.socket as TLSSocket).encrypted);
		const host = req.headers.host ?? `127.0.0.1:${req.socket.localPort}`;
		const origin = `${secure ? 'https' : 'http'}://${host}`;
		const url = new URL(req.url ?? '/', origin);
		const path = url.pathname;
		const query: Record<string, string> = {};
		for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
		const method = (req.method ?? 'GET').toUpperCase();
		const headers = flatHeaders(req);
		const nowMs = ctx.clock.now();
		const entry: RequestLogEntry = {
			time: new Date(nowMs).toISOString(),
			method,
			path,
			query,
			family: 'unknown' as LogFamily,
			status: 0,
		};
		if (typeof headers['x-emulator-client'] === 'string') entry.client = headers['x-emulator-client'];
		let bodyBuf: Buffer;
		try {
			bodyBuf = await readBody(req);
		} catch {
			res.destroy();
			return;
		}
		const segments = path.split('/').filter(Boolean);
		started.set(req, performance.now());

		// Control routes: loopback only, no auth, not subject to faults or latency.
		if (segments[0] === '_control') {
			entry.family = 'control';
			if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
				send(req, res, { status: 403, body: { error: 'control routes are loopback-only' } });
				return;
			}
			let body: unknown;
			try {
				body = bodyBuf.length ? JSON.parse(bodyBuf.toString('utf8')) : undefined;
			} catch {
				send(req, res, { status: 400, body: { error: 'invalid JSON' } });
				return;
			}
			let r: CoreResponse;
			try {
				r = await o.control.handle(method, segments.slice(1), body, origin, query);
			} catch (e) {
				r = { status: 400, body: { error: (e as Error).message } };
			}
			entry.status = r.status;
			if (segments[1] !== 'log') pushLog(entry);
			send(req, res, r);
			return;
		}

		if (o.faults.addedLatencyMs > 0) {
			await new Promise((resolve) => setTimeout(resolve, o.faults.addedLatencyMs));
			started.set(req, performance.now());
		}

		// Entra.
		if (isEntraPath(segments)) {
			entry.family = 'entra';
			const isToken = segments.length === 4 && segments[3].toLowerCase() === 'token';
			const fault = o.faults.take(path, isToken);
			if (fault && (fault.kind === 'redirect' || fault.kind === 'echo')) {
				entry.fault = String(fault.kind);
				const r = hostileAnswer(fault, o, entry, url, headers, bodyBuf.toString('utf8'), true, 'mde', { now: nowMs });
				entry.status = r.status;
				pushLog(entry);
				send(req, res, r);
				return;
			}
			if (fault && fault.kind !== 'reset' && fault.kind !== 'malformed' && fault.kind !== 'slow') {
				entry.fault = String(fault.kind);
				const status = fault.kind === 'tokenDown' ? 503 : (fault.kind as number);
				const r = aadError(
					ctx,
					origin,
					status,
					'temporarily_unavailable',
					90033,
					'A transient error has occurred. Please try again. (injected fault)',
				);
				if (status === 429)
					r.headers = { ...r.headers, 'retry-after': String(fault.retryAfterSec ?? 1) };
				entry.status = status;
				pushLog(entry);
				send(req, res, r);
				return;
			}
			const result = handleEntra(ctx, {
				method,
				segments,
				headers,
				body: bodyBuf.toString('utf8'),
				origin,
				query,
			});
			Object.assign(entry, result.log);
			entry.status = result.status;
			if (fault) entry.fault = String(fault.kind);
			pushLog(entry);
			send(req, res, result, fault?.kind as 'reset' | 'malformed' | 'slow' | undefined, fault?.holdMs);
			return;
		}

		// API routes.
		const { match, pathMatched, family: matchedFamily } = router.match(method, path);
		const family: ApiFamily = matchedFamily ?? guessFamily(path);
		entry.family = family;
		const errOpts = { now: nowMs, clientRequestId: headers['client-request-id'] };
		const finish = (r: CoreResponse, fault?: 'reset' | 'malformed' | 'slow') => {
			entry.status = fault === 'malformed' ? 200 : r.status;
			pushLog(entry);
			send(req, res, r, fault, held.ms);
		};
		// Set once the route's fault is known (a 'slow' answer is held back this long).
		const held: { ms?: number } = {};
		if (!match) {
			entry.family = matchedFamily ?? 'unknown';
			if (pathMatched) {
				finish(
					renderApiError(
						family,
						405,
						'MethodNotAllowed',
						`The requested resource does not support http method '${method}'.`,
						errOpts,
					),
				);
			} else if (family === 'graph') {
				finish(
					renderApiError(
						family,
						400,
						'BadRequest',
						`Resource not found for the segment '${segments[segments.length - 1] ?? ''}'.`,
						errOpts,
					),
				);
			} else {
				finish(
					renderApiError(family, 404, 'NotFound', `No route matches ${method} ${path}.`, errOpts),
				);
			}
			return;
		}
		const route = match.route;

		const fault = o.faults.take(path, false);
		if (fault) entry.fault = String(fault.kind);
		if (fault && (fault.kind === 'redirect' || fault.kind === 'echo')) {
			finish(hostileAnswer(fault, o, entry, url, headers, bodyBuf.toString('utf8'), false, family, errOpts));
			return;
		}
		if (fault && typeof fault.kind === 'number') {
			if (fault.kind === 429) {
				const sec = fault.retryAfterSec ?? 1;
				finish(
					renderApiError(
						family,
						429,
						family === 'graph' ? 'TooManyRequests' : 'TooManyRequests',
						family === 'graph'
							? 'Please retry again later.'
							: 'Rate limit is exceeded. Try again later. (injected fault)',
						{
							...errOpts,
							graphInnerCode: '429',
							headers: {
								'retry-after': String(sec),
								'x-emulator-retry-after-ms': String(Math.round(sec * 1000)),
							},
						},
					),
				);
			} else {
				const [code, message] = FAULT_CODES[fault.kind];
				finish(renderApiError(family, fault.kind, code, message, errOpts));
			}
			return;
		}
		if (fault?.kind === 'slow' && fault.phase === 'before') {
			await new Promise((resolve) => setTimeout(resolve, fault.holdMs ?? 30000));
		}
		const shapeFault =
			fault?.kind === 'reset' || fault?.kind === 'malformed' || (fault?.kind === 'slow' && fault.phase !== 'before')
				? fault.kind
				: undefined;
		held.ms = fault?.holdMs;

		let auth: CallerAuth;
		let store: unknown;
		if (route.public) {
			// No bearer token (e.g. a SAS download link): no auth, roles or quota; store from `:tenant`.
			auth = { tenantId: '', appId: '', audience: '', roles: [] };
			const tenantParam = match.params.tenant;
			try {
				store = tenantParam ? o.getStore(tenantParam) : undefined;
			} catch {
				store = undefined;
			}
			if (store === undefined) {
				finish(
					renderApiError(family, 404, 'ResourceNotFound', `Unknown tenant in ${path}`, errOpts),
					shapeFault,
				);
				return;
			}
			entry.tenantId = tenantParam;
		} else {
			const authResult = authenticate(ctx, headers.authorization, family, route.roles, method, o.mode?.variants.forbiddenMessage);
			if ('fail' in authResult) {
				const f = authResult.fail;
				Object.assign(entry, {
					tenantId: f.partial?.tenantId,
					appId: f.partial?.appId,
					audience: f.partial?.audience,
					roles: f.partial?.roles,
				});
				const extra =
					f.status === 401
						? { 'www-authenticate': `Bearer realm="", error="invalid_token"` }
						: undefined;
				finish(
					renderApiError(family, f.status, f.code, f.message, { ...errOpts, headers: extra }),
					shapeFault,
				);
				return;
			}
			auth = authResult.auth;
			Object.assign(entry, {
				tenantId: auth.tenantId,
				appId: auth.appId,
				audience: auth.audience,
				roles: auth.roles,
			});

			const q = o.quotas.take(route.quota, auth.tenantId, auth.appId, nowMs);
			if (!q.ok) {
				entry.quota = route.quota;
				const ms = Math.max(1, Math.ceil(q.retryAfterMs ?? 1000));
				const sec = Math.max(1, Math.ceil(ms / 1000));
				const hunting = route.quota.endsWith('hunting');
				const message = `API calls quota exceeded! maximum allowed ${q.limit} per ${windowLabel(q.window ?? 'minute')}. Try again in ${sec} seconds.`;
				finish(
					renderApiError(
						family,
						429,
						family === 'graph' ? 'TooManyRequests' : hunting ? '429' : 'TooManyRequests',
						message,
						{
							...errOpts,
							graphInnerCode: '429',
							headers: { 'retry-after': String(sec), 'x-emulator-retry-after-ms': String(ms) },
						},
					),
					shapeFault,
				);
				return;
			}
			store = o.getStore(auth.tenantId);
		}

		let body: unknown;
		const multipart = /^multipart\/form-data/i.test(headers['content-type'] ?? '');
		if (bodyBuf.length && !multipart) {
			try {
				body = JSON.parse(bodyBuf.toString('utf8'));
			} catch {
				finish(
					renderApiError(
						family,
						400,
						family === 'graph' ? 'BadRequest' : 'InvalidRequestBody',
						'Request body is not valid JSON.',
						errOpts,
					),
					shapeFault,
				);
				return;
			}
		}
		const apiReq: ApiRequest = {
			method,
			path,
			params: match.params,
			query,
			body,
			rawBody: multipart ? bodyBuf : undefined,
			headers,
			auth,
			now: nowMs,
			origin,
			mode: o.mode,
		};
		let out: ApiResponse;
		try {
			out = await route.handler(apiReq, store as never);
		} catch (e) {
			if (
				e instanceof ApiError ||
				(e &&
					typeof (e as ApiError).status === 'number' &&
					typeof (e as ApiError).code === 'string')
			) {
				const ae = e as ApiError;
				finish(renderApiError(family, ae.status, ae.code, ae.message, errOpts), shapeFault);
			} else {
				console.error('[emulator] handler error', method, path, e);
				finish(
					renderApiError(
						family,
						500,
						'InternalServerError',
						'An unexpected error occurred.',
						errOpts,
					),
					shapeFault,
				);
			}
			return;
		}
		finish(
			{
				status: out.status,
				body: out.body,
				raw: out.raw,
				stream: out.stream,
				contentType: out.contentType,
				headers: out.headers,
			},
			shapeFault,
		);
	}

	return (req: http.IncomingMessage, res: http.ServerResponse) => {
		handle(req, res).catch((e) => {
			console.error('[emulator] pipeline error', e);
			if (!res.headersSent) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(e) } }));
			} else {
				res.destroy();
			}
		});
	};
}
