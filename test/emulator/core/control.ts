/** `/_control/...` JSON routes: the startEmulator handle over HTTP, for processes that cannot hold it. */
import type { CoreResponse } from './context';
import type { FaultKind } from './faults';
import type { EmulatorHandle } from '../index';

function ok(body: unknown = { ok: true }): CoreResponse {
	return { status: 200, body };
}

function parseTime(v: unknown): number {
	if (typeof v === 'number') return v;
	if (typeof v === 'string') {
		const ms = Date.parse(v);
		if (!Number.isNaN(ms)) return ms;
	}
	throw new Error(`not a time: ${JSON.stringify(v)}`);
}

/**
 * Routes:
 *   GET    /_control/health                      {ok, httpUrl, httpsUrl, now}
 *   GET    /_control/fixture                     tenants and apps (test-only credentials)
 *   GET    /_control/log   DELETE /_control/log  request log (?family=entra filters)
 *   POST   /_control/faults {count, kind, path?, retryAfterSec?, status?, location?, holdMs?, phase?}   DELETE /_control/faults
 *   GET    /_control/trap                        requests that reached the redirect trap (another port)
 *   GET    /_control/faults                      pending faults
 *   POST   /_control/latency {ms}
 *   GET    /_control/clock  POST /_control/clock {now?: ms|ISO, advance?: ms, realTime?: true}
 *   DELETE /_control/quotas                     forget quota windows
 *   POST   /_control/delegated/revoke {user}     revoke a user's refresh tokens (upn or oid)
 *   POST   /_control/reset                       log, faults, quotas, replay cache, clock, stores
 *   POST   /_control/tenants/:tenant/alerts {partial?, at?}          → store.addAlert
 *   PATCH  /_control/tenants/:tenant/alerts/:id {patch, at?}        → store.updateAlert
 *   POST   /_control/tenants/:tenant/incidents {partial?, at?}       → store.addIncident
 *   PATCH  /_control/tenants/:tenant/incidents/:id {patch, at?}     → store.updateIncident
 *   GET    /_control/tenants/:tenant/counts                         → store.counts()
 *   POST   /_control/tenants/:tenant/store/:method  [args...]        → store[method](...args)
 * `:tenant` is the tenant GUID, its domain, or a fixture letter (A/B/C).
 */
export function createControl(emu: () => EmulatorHandle<unknown>) {
	return {
		async handle(
			method: string,
			segs: string[],
			// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON from the test
			body: any,
			_origin: string,
			query?: Record<string, string>,
		): Promise<CoreResponse> {
			const e = emu();
			const [a, b, c, d] = segs;
			if (a === 'health' && method === 'GET') {
				return ok({ ok: true, httpUrl: e.httpUrl, httpsUrl: e.httpsUrl, now: e.now() });
			}
			if (a === 'fixture' && method === 'GET') return ok(e.tenants);
			if (a === 'log') {
				if (method === 'DELETE') {
					e.clearLog();
					return ok();
				}
				const fam = query?.family;
				return ok(fam ? e.log.filter((x) => x.family === fam) : e.log);
			}
			if (a === 'faults') {
				if (method === 'DELETE') {
					e.faults.clear();
					return ok();
				}
				if (method === 'GET') return ok(e.faults.pending());
				const kind = (
					typeof body?.kind === 'string' && /^\d+$/.test(body.kind) ? Number(body.kind) : body?.kind
				) as FaultKind;
				e.faults.next(Number(body?.count ?? 1), kind, {
					path: body?.path,
					retryAfterSec: body?.retryAfterSec,
					status: body?.status,
					location: body?.location,
					holdMs: body?.holdMs,
					phase: body?.phase,
				});
				return ok({ ok: true, pending: e.faults.pending() });
			}
			if (a === 'trap' && method === 'GET') return ok({ url: e.trap.url, requests: e.trap.requests });
			if (a === 'latency' && method === 'POST') {
				e.faults.latency(Number(body?.ms ?? 0));
				return ok();
			}
			if (a === 'clock') {
				if (method === 'POST') {
					if (body?.realTime) e.useRealTime();
					if (body?.now !== undefined) e.setNow(parseTime(body.now));
					if (body?.advance !== undefined) e.advance(Number(body.advance));
				}
				return ok({ now: e.now(), iso: new Date(e.now()).toISOString() });
			}
			if (a === 'delegated' && b === 'revoke' && method === 'POST') {
				return ok({ revoked: e.revokeSignIns(String(body?.user ?? '')) });
			}
			if (a === 'quotas' && method === 'DELETE') {
				e.resetQuotas();
				return ok();
			}
			if (a === 'reset' && method === 'POST') {
				e.reset();
				return ok();
			}
			if (a === 'tenants' && b) {
				const store = e.store(b) as Record<string, (...args: unknown[]) => unknown>;
				const call = (name: string, args: unknown[]) => {
					if (typeof store[name] !== 'function') throw new Error(`store has no method ${name}`);
					return store[name](...args);
				};
				if (c === 'alerts' && method === 'POST')
					return ok(await call('addAlert', [body?.partial, body?.at]));
				if (c === 'alerts' && d && method === 'PATCH')
					return ok(await call('updateAlert', [d, body?.patch ?? {}, body?.at]));
				if (c === 'incidents' && method === 'POST')
					return ok(await call('addIncident', [body?.partial, body?.at]));
				if (c === 'incidents' && d && method === 'PATCH')
					return ok(await call('updateIncident', [d, body?.patch ?? {}, body?.at]));
				if (c === 'counts' && method === 'GET') return ok(await call('counts', []));
				if (c === 'store' && d && method === 'POST') {
					const args = Array.isArray(body) ? body : body === undefined ? [] : [body];
					return ok((await call(d, args)) ?? null);
				}
			}
			return {
				status: 404,
				body: { error: `unknown control route ${method} /_control/${segs.join('/')}` },
			};
		},
	};
}
