/* eslint-disable @n8n/community-nodes/require-node-api-error, @typescript-eslint/no-explicit-any */
/**
 * Test helper: drive route handlers directly with constructed ApiRequest objects (no server),
 * matched through the core's Router so the route table is exercised as the server uses it.
 */
import { routes } from './api';
import { Router } from './core/router';
import { DefenderStore, type StoreOptions } from './data/store';
import { ApiError, type ApiRequest, type ApiResponse } from './types';

const router = new Router(routes);

export interface CallResult {
	status: number;
	body: any;
	headers?: Record<string, string>;
	raw?: Buffer | string;
	route?: (typeof routes)[number];
	error?: { code: string; message: string };
}

export function makeStore(o: StoreOptions = {}, clock?: { t: number }): DefenderStore {
	const c = clock ?? { t: Date.parse('2026-11-22T12:00:00Z') };
	return new DefenderStore({ seed: 7, machines: 20, alerts: 120, incidents: 40, now: () => c.t, ...o });
}

export async function call(
	store: DefenderStore,
	method: string,
	url: string,
	body?: unknown,
	opts: { appId?: string; roles?: string[]; headers?: Record<string, string> } = {},
): Promise<CallResult> {
	const u = new URL(url, 'http://emu.test');
	const query: Record<string, string> = {};
	u.searchParams.forEach((v, k) => (query[k] = v));
	const m = router.match(method, u.pathname);
	if (!m.match) return { status: m.pathMatched ? 405 : 404, body: undefined };
	const req: ApiRequest = {
		method,
		path: u.pathname,
		params: m.match.params,
		query,
		body,
		headers: opts.headers ?? {},
		auth: { tenantId: store.tenantId, appId: opts.appId ?? 'aaaaaaaa-0000-4000-8000-000000000001', audience: 'x', roles: opts.roles ?? [] },
		now: store.now(),
		origin: 'http://emu.test',
	};
	try {
		const r: ApiResponse = await m.match.route.handler(req, store as never);
		// Raw JSON answers (cached alert pages) are parsed so tests read `body` either way.
		const body = r.raw !== undefined && /json/.test(r.contentType ?? '') ? JSON.parse(r.raw.toString()) : r.body;
		return { status: r.status, body, headers: r.headers, raw: r.raw, route: m.match.route as never };
	} catch (e) {
		if (e instanceof ApiError) return { status: e.status, body: undefined, error: { code: e.code, message: e.message }, route: m.match.route as never };
		throw e;
	}
}
