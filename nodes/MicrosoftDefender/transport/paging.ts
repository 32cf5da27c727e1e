/**
 * Pages of a list endpoint (records, not envelopes), per the page-limit table (helpers/limits.ts).
 *  - MDE: `$top` + `$skip` until a short page (`$top` suppresses nextLink on MDE, so a
 *    listing that is an exact multiple of the page size costs one extra, empty call).
 *  - Graph: `@odata.nextLink`; alerts_v2 may omit it on a full page: when no page of the listing
 *    had a link, continue with `$skip`.
 * Records already seen (same `id`) are not yielded twice.
 */
import type { IDataObject } from 'n8n-workflow';

import { PAGE_LIMITS, type PageLimit, type PagedEndpoint } from '../helpers/limits';
import { defenderApiRequestFull } from './request';
import type { DefenderContext, DefenderRequest, DefenderResponse } from './types';

function recordKey(r: IDataObject): string | undefined {
	const id = r?.id;
	return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** Drops records seen before (same `id`) and stops at the limit. */
class Taker {
	private readonly seen = new Set<string>();
	yielded = 0;

	constructor(private readonly limit: number | undefined) {}

	get full(): boolean {
		return this.limit !== undefined && this.yielded >= this.limit;
	}

	take(records: IDataObject[]): IDataObject[] {
		const fresh: IDataObject[] = [];
		for (const r of records) {
			const k = recordKey(r);
			if (k !== undefined) {
				if (this.seen.has(k)) continue;
				this.seen.add(k);
			}
			if (this.limit !== undefined && this.yielded + fresh.length >= this.limit) break;
			fresh.push(r);
		}
		this.yielded += fresh.length;
		return fresh;
	}
}

/** `$top` of each page: none for `none` (an undocumented $top/$skip may be ignored or refused). */
function pageTop(pl: PageLimit, limit: number | undefined, pageSize: number | undefined): number {
	if (pl.style === 'none') return Number.POSITIVE_INFINITY;
	return Math.min(pl.maxPageSize ?? Number.POSITIVE_INFINITY, limit ?? Number.POSITIVE_INFINITY, Math.max(1, pageSize ?? Number.POSITIVE_INFINITY));
}

async function fetchPage(ctx: DefenderContext, req: DefenderRequest, endpoint: PagedEndpoint, isFirst: boolean): Promise<DefenderResponse<IDataObject>> {
	return await defenderApiRequestFull.call<
		DefenderContext,
		[DefenderRequest, number[], (b: unknown) => boolean],
		Promise<DefenderResponse<IDataObject>>
	>(
		ctx,
		req,
		// GET /api/machines answers 404 (not an empty list) when the tenant has no recent machines.
		endpoint === 'mdeMachines' && isFirst ? [404] : [],
		(b) => Array.isArray((b as IDataObject | undefined)?.value),
	);
}

export async function* defenderApiPages(
	this: DefenderContext,
	req: DefenderRequest,
	page: { endpoint: PagedEndpoint; limit?: number; pageSize?: number },
): AsyncGenerator<IDataObject[]> {
	const pl: PageLimit = PAGE_LIMITS[page.endpoint];
	const limit = page.limit !== undefined && page.limit >= 0 ? page.limit : undefined;
	if (limit === 0) return;
	const baseQs: IDataObject = { ...(req.qs ?? {}) };
	const startSkip = Number(baseQs.$skip ?? 0) || 0;
	delete baseQs.$top;
	delete baseQs.$skip;
	const taker = new Taker(limit);
	const top = pageTop(pl, limit, page.pageSize);
	let consumed = 0;
	let sawNextLink = false;
	let next: DefenderRequest = {
		...req,
		method: req.method ?? 'GET',
		qs: pl.style === 'none' ? baseQs : { ...baseQs, $top: top, ...(startSkip && { $skip: startSkip }) },
	};
	for (;;) {
		const res = await fetchPage(this, next, page.endpoint, consumed === 0);
		if (res.statusCode === 404) return;
		const body = res.body ?? {};
		const records = Array.isArray(body.value) ? (body.value as IDataObject[]) : [];
		consumed += records.length;
		const fresh = taker.take(records);
		if (fresh.length) yield fresh;
		if (taker.full || records.length === 0) return;

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
