/* eslint-disable @n8n/community-nodes/require-node-api-error */
/** Helpers shared by the route modules: error mapping, OData list paging per API family. */
import { ApiError, type ApiFamily, type ApiRequest, type ApiResponse } from '../types';
import { type DefenderStore, StoreInputError } from '../data/store';
import type { OrderVariant, StoreOrder } from '../data/order';
import { variantsForSeed } from '../contract';
import { type EntitySpec, ODataError, compileFilter, compileOrderBy, compileSelect, parseIntOption } from '../odata';

export type Handler = (req: ApiRequest, store: DefenderStore) => ApiResponse | Promise<ApiResponse>;

/** Map ODataError / StoreInputError thrown inside a handler to the family's ApiError. */
export function guard(family: ApiFamily, h: Handler): Handler {
	return async (req, store) => {
		try {
			return await h(req, store);
		} catch (e) {
			if (e instanceof ODataError) throw new ApiError(400, family === 'mde' ? 'ODataError' : 'BadRequest', e.message);
			if (e instanceof StoreInputError) {
				const status = e.code === 'ResourceNotFound' ? 404 : 400;
				throw new ApiError(status, family === 'graph' ? (status === 404 ? 'NotFound' : 'BadRequest') : e.code, e.message);
			}
			throw e;
		}
	};
}

export const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** `@odata.context` for a collection or entity. */
export function ctxUrl(req: ApiRequest, family: ApiFamily, what: string): string {
	return family === 'graph' ? `${req.origin}/v1.0/$metadata#${what}` : `${req.origin}/api/$metadata#${what}`;
}

/** Rebuild the request URL with `$skip` replaced (for @odata.nextLink). */
export function linkWithSkip(req: ApiRequest, skip: number, extra: Record<string, string> = {}): string {
	const q: Record<string, string> = { ...req.query, ...extra, $skip: String(skip) };
	const qs = Object.entries(q)
		.map(([k, v]) => `${k.startsWith('$') ? k : encodeURIComponent(k)}=${encodeURIComponent(v)}`)
		.join('&');
	return `${req.origin}${req.path}?${qs}`;
}

/** Case-insensitive query lookup (`$Filter` and `$filter` both work, as on the real services). */
export function q(req: ApiRequest, name: string): string | undefined {
	if (req.query[name] !== undefined) return req.query[name];
	const l = name.toLowerCase();
	for (const k of Object.keys(req.query)) if (k.toLowerCase() === l) return req.query[k];
	return undefined;
}

export { ORDER_VARIANTS, type OrderVariant } from '../data/order';

/** FNV-1a over `seed:id`: the shuffled order's sort key. */
function orderHash(seed: number, id: string): number {
	let h = 0x811c9dc5;
	const s = `${seed}:${id}`;
	for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
	return h;
}

export interface UndocumentedOrderBy<T> {
	/** The store's setting (`auto`: from the request's mode). */
	variant: StoreOrder;
	seed: number;
	id: (x: T) => string;
	updated: (x: T) => string;
}

export interface PageOpts<T> {
	family: ApiFamily;
	base: T[];
	spec: EntitySpec<T>;
	/** Cache key prefix for sorted views (store.sorted). */
	cacheName: string;
	store: DefenderStore;
	project: (x: T) => Record<string, unknown>;
	context: string;
	/** Largest accepted $top. */
	maxTop: number;
	/** What to do when $top > maxTop: 'error' (400) or 'clamp'. */
	overTop: 'error' | 'clamp';
	/** Error code for $top > maxTop (Graph incidents answer an empty code). */
	overTopCode?: string;
	/** Page size without $top. */
	defaultPage: number;
	/** When to emit @odata.nextLink: 'noTop' (MDE: only without $top), 'always', 'never'. */
	nextLink: 'noTop' | 'always' | 'never';
	/** Default order comparator (applied when no $orderby). */
	defaultOrder?: (a: T, b: T) => number;
	/** Honour $select. */
	select?: boolean;
	/** `$orderby` is not documented for this collection: what the emulator does with it. */
	undocumentedOrderBy?: UndocumentedOrderBy<T>;
	/**
	 * Serialise items through this (cached) JSON function and answer with a raw body: pages of
	 * 10,000 alerts then cost a string join instead of a full JSON.stringify per request.
	 */
	json?: (x: T) => string;
}

/** Pinned by the store, else strict mode's seeded variant, lenient = honoured (no mode: by the store's seed). */
function orderVariant<T>(req: ApiRequest, u: UndocumentedOrderBy<T>): OrderVariant {
	if (u.variant !== 'auto') return u.variant;
	if (req.mode) return req.mode.strict ? req.mode.variants.undocumentedOrderBy : 'honoured';
	return variantsForSeed(u.seed).undocumentedOrderBy;
}

function hostileOrder<T>(h: UndocumentedOrderBy<T> & { variant: OrderVariant }): (a: T, b: T) => number {
	if (h.variant === 'reverse') {
		return (a, b) => {
			const x = h.updated(a);
			const y = h.updated(b);
			return x < y ? 1 : x > y ? -1 : h.id(a) < h.id(b) ? -1 : h.id(a) > h.id(b) ? 1 : 0;
		};
	}
	const keys = new Map<T, number>();
	const key = (x: T) => {
		let k = keys.get(x);
		if (k === undefined) keys.set(x, (k = orderHash(h.seed, h.id(x))));
		return k;
	};
	return (a, b) => key(a) - key(b) || (h.id(a) < h.id(b) ? -1 : h.id(a) > h.id(b) ? 1 : 0);
}

/** Filter/order/page a collection and render the OData envelope. */
export function pageList<T>(req: ApiRequest, o: PageOpts<T>): ApiResponse {
	const filterSrc = q(req, '$filter');
	const orderSrc = q(req, '$orderby');
	const filter = compileFilter(filterSrc, o.spec);
	const variant = o.undocumentedOrderBy ? orderVariant(req, o.undocumentedOrderBy) : 'honoured';
	const hostile = o.undocumentedOrderBy && variant !== 'honoured' ? { ...o.undocumentedOrderBy, variant } : undefined;
	// Accepted and ignored (not even parsed) when the collection does not document it.
	const order = hostile ? undefined : compileOrderBy(orderSrc, o.spec);
	const topQ = parseIntOption('$top', q(req, '$top'));
	const skip = parseIntOption('$skip', q(req, '$skip')) ?? 0;
	let top = topQ ?? o.defaultPage;
	if (topQ !== undefined && topQ > o.maxTop) {
		if (o.overTop === 'error')
			throw new ApiError(
				400,
				o.overTopCode ?? (o.family === 'mde' ? 'ODataError' : 'BadRequest'),
				`The query specified in the URI is not valid. The limit of '${o.maxTop}' for Top query has been exceeded. The value from the incoming request is '${topQ}'.`,
			);
		top = o.maxTop;
	}
	let base = o.base;
	if (hostile) base = o.store.sorted(`${o.cacheName}|${hostile.variant}:${hostile.seed}`, base, hostileOrder(hostile));
	else if (order) base = o.store.sorted(`${o.cacheName}|${orderSrc!.trim().toLowerCase()}`, base, order);
	else if (o.defaultOrder) base = o.store.sorted(`${o.cacheName}|default`, base, o.defaultOrder);
	let total: number;
	let page: T[];
	if (filter) {
		// Walk the (sorted) base once, keep only the page; count the rest cheaply.
		page = [];
		total = 0;
		for (const x of base) {
			if (!filter(x)) continue;
			if (total >= skip && page.length < top) page.push(x);
			total++;
		}
	} else {
		total = base.length;
		page = base.slice(skip, skip + top);
	}
	const sel = o.select ? compileSelect(q(req, '$select'), page.length ? Object.keys(o.project(page[0])) : []) : undefined;
	const more = skip + page.length < total && page.length > 0;
	const next =
		more && (o.nextLink === 'always' || (o.nextLink === 'noTop' && topQ === undefined)) ? linkWithSkip(req, skip + page.length) : undefined;
	const count = o.family === 'graph' && /^true$/i.test(q(req, '$count') ?? '') ? total : undefined;
	if (o.json && !sel) {
		const json = o.json;
		let text = `{"@odata.context":${JSON.stringify(ctxUrl(req, o.family, o.context))}`;
		if (count !== undefined) text += `,"@odata.count":${count}`;
		text += `,"value":[${page.map((x) => json(x)).join(',')}]`;
		if (next) text += `,"@odata.nextLink":${JSON.stringify(next)}`;
		return { status: 200, raw: text + '}', contentType: 'application/json; odata.metadata=minimal; charset=utf-8' };
	}
	const value = sel ? page.map((x) => sel(o.project(x))) : page.map(o.project);
	const body: Record<string, unknown> = { '@odata.context': ctxUrl(req, o.family, o.context) };
	if (count !== undefined) body['@odata.count'] = count;
	body.value = value;
	if (next) body['@odata.nextLink'] = next;
	return ok(body);
}

/** MDE case-sensitive body keys: required string key, 400 when missing or wrong case. */
export function requireKey(body: unknown, key: string, opts: { optional?: boolean; allowed?: string[] } = {}): string | undefined {
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		if (opts.optional) return undefined;
		throw new ApiError(400, 'InvalidRequestBody', 'Request body is missing or is not a JSON object.');
	}
	const b = body as Record<string, unknown>;
	if (!(key in b)) {
		const wrong = Object.keys(b).find((k) => k.toLowerCase() === key.toLowerCase());
		if (wrong) throw new ApiError(400, 'InvalidRequestBody', `Request body is invalid: unknown parameter '${wrong}' (parameter names are case-sensitive; expected '${key}').`);
		if (opts.optional) return undefined;
		throw new ApiError(400, 'MissingRequiredParameter', `Missing required parameter '${key}'.`);
	}
	const v = b[key];
	if (v === null && opts.optional) return undefined;
	if (typeof v !== 'string') throw new ApiError(400, 'InvalidRequestBody', `Parameter '${key}' must be a string.`);
	if (opts.allowed && !opts.allowed.includes(v))
		throw new ApiError(400, 'InvalidRequestBody', `Invalid value '${v}' for parameter '${key}'. Allowed values: ${opts.allowed.join(', ')}.`);
	return v;
}

export function notFound(family: ApiFamily, what: string, id: string): never {
	if (family === 'graph') throw new ApiError(404, 'NotFound', `${what} with id '${id}' was not found.`);
	throw new ApiError(404, 'ResourceNotFound', `${what} ${id} was not found`);
}
