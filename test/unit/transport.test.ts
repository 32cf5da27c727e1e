import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import {
	defenderApiRequest,
	defenderApiRequestAllItems,
	defenderApiRequestFull,
	resetTransportState,
	quotaFor,
	retryAfterMs,
	transportErrorOf,
	transportTuning,
	wasNotSent,
	type DefenderRequest,
} from '../../nodes/MicrosoftDefender/transport';
import { PAGE_LIMITS } from '../../nodes/MicrosoftDefender/helpers/limits';
import { DefenderStore } from '../emulator/data/store';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { capturedLogs, clearCapturedLogs, createExecuteContext, createLoadOptionsContext, createPollContext, emulatorCredentials } from '../harness';
import { OPERATIONS } from '../../nodes/MicrosoftDefender/actions/operations';

const saved = { ...transportTuning };
let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({
		quotas: false,
		createStore: (tenantId, index, domain) =>
			new DefenderStore({
				tenantId,
				domain: domain.replace(/\.onmicrosoft\.com$/i, '.com'),
				seed: 7 + index,
				machines: 20,
				alerts: 2300,
				incidents: 250,
				// Observed on alerts_v2: full pages without @odata.nextLink.
				graphAlertsNextLink: false,
			}),
	});
});
afterAll(async () => {
	await emu.close();
	Object.assign(transportTuning, saved);
	resetTransportState();
});
beforeEach(() => {
	resetTransportState();
	Object.assign(transportTuning, saved, { pacing: false, baseBackoffMs: 20 });
	emu.faults.clear();
	emu.clearLog();
});

function ctx(options: IDataObject = {}, app: 'full' | 'readonly' = 'full'): IExecuteFunctions {
	return createExecuteContext({
		parameters: { requestOptions: options },
		credentials: emulatorCredentials(emu, { app, tenant: 'A' }),
	});
}

const apiCalls = () => emu.log.filter((l) => l.family !== 'entra' && l.family !== 'control');
const ids = (records: IDataObject[]) => records.map((r) => String(r.id ?? r.incidentId));

async function failure(p: Promise<unknown>): Promise<NodeApiError> {
	const e = await p.then(
		() => undefined,
		(err: unknown) => err,
	);
	expect(e).toBeInstanceOf(NodeApiError);
	return e as NodeApiError;
}

/** Runs `fn` with the MDE alerts page size set to `size` (the emulator honours any $top up to 10,000). */
async function withPageSize<T>(size: number, fn: () => Promise<T>): Promise<T> {
	const before = PAGE_LIMITS.mdeAlerts.maxPageSize;
	PAGE_LIMITS.mdeAlerts.maxPageSize = size;
	try {
		return await fn();
	} finally {
		PAGE_LIMITS.mdeAlerts.maxPageSize = before;
	}
}

describe('paging per endpoint', () => {
	it('$top + $skip until a short page (MDE alerts, page size 1,000 here)', async () => {
		const all = await withPageSize(1000, () => defenderApiRequestAllItems.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts' }));
		expect(all).toHaveLength(2300);
		expect(new Set(ids(all)).size).toBe(2300);
		expect(apiCalls().map((l) => `${l.query.$top}/${l.query.$skip ?? 0}`)).toEqual(['1000/0', '1000/1000', '1000/2000']);
	});

	it('Graph incidents: follows @odata.nextLink with $top=50', async () => {
		const all = await defenderApiRequestAllItems.call(ctx(), { api: 'graph', method: 'GET', path: '/v1.0/security/incidents' }, { endpoint: 'graphIncidents' });
		expect(all).toHaveLength(250);
		expect(new Set(ids(all)).size).toBe(250);
		expect(apiCalls()).toHaveLength(5);
		expect(apiCalls().every((l) => l.query.$top === '50')).toBe(true);
	});

	it('Graph alerts_v2 without nextLink on full pages: continues with $skip, nothing lost or repeated', async () => {
		const all = await defenderApiRequestAllItems.call(ctx(), { api: 'graph', method: 'GET', path: '/v1.0/security/alerts_v2' }, { endpoint: 'graphAlerts' });
		const expected = emu.store('A').alerts.map((a) => a.id);
		expect(all).toHaveLength(expected.length);
		expect(new Set(ids(all))).toEqual(new Set(expected));
		expect(apiCalls().map((l) => l.query.$skip ?? '0')).toEqual(['0', '1000', '2000']);
	});

	it('MDE Return All over 10,000 records: $top=10,000 pages with $skip, nothing lost or repeated', async () => {
		const store = emu.store('B');
		store.addAlerts(12000 - store.alerts.length, {});
		const c = createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'B' }) });
		const all = await defenderApiRequestAllItems.call(c, { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts' });
		expect(all).toHaveLength(12000);
		expect(new Set(ids(all)).size).toBe(12000);
		expect(apiCalls().map((l) => `${l.query.$top}/${l.query.$skip ?? 0}`)).toEqual(['10000/0', '10000/10000']);
	});

	it('limits: one request with $top = limit, records capped', async () => {
		const some = await defenderApiRequestAllItems.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts', limit: 120 });
		expect(some).toHaveLength(120);
		expect(apiCalls().map((l) => l.query.$top)).toEqual(['120']);
		emu.clearLog();
		const inc = await withPageSize(100, () => defenderApiRequestAllItems.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts', limit: 130 }));
		expect(inc).toHaveLength(130);
		expect(apiCalls().map((l) => l.query.$top)).toEqual(['100', '100']);
		expect(await defenderApiRequestAllItems.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts', limit: 0 })).toEqual([]);
	});

	it('MDE $top is capped at 10,000 per page', async () => {
		await defenderApiRequestAllItems.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts' });
		expect(apiCalls().map((l) => l.query.$top)).toEqual(['10000']);
	});

	it('a 429 storm, 5xx bursts, a mid-page reset and a malformed page still give the complete list', async () => {
		emu.faults.next(3, 429);
		emu.faults.next(2, 503);
		emu.faults.next(1, 'reset');
		emu.faults.next(1, 502);
		emu.faults.next(1, 'malformed');
		emu.faults.next(1, 500);
		// Nine faults may all land on one page: allow that many retries per request.
		const all = await withPageSize(1000, () =>
			defenderApiRequestAllItems.call(ctx({ maxRetries: 10 }), { api: 'mde', method: 'GET', path: '/api/alerts' }, { endpoint: 'mdeAlerts' }),
		);
		const expected = emu.store('A').alerts.map((a) => a.id);
		expect(all).toHaveLength(expected.length);
		expect(new Set(ids(all))).toEqual(new Set(expected));
		const statuses = apiCalls().map((l) => l.fault ?? l.status);
		expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
		expect(emu.faults.pending()).toEqual([]);
	});
});

describe('contexts and quota buckets', () => {
	it('works from poll and load-options contexts, with the tenant override', async () => {
		const credentials = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		const poll = createPollContext({ credentials, parameters: { requestOptions: { tenantId: '22222222-2222-4222-8222-222222222222' } } });
		await defenderApiRequest.call(poll, { api: 'graph', method: 'GET', path: '/v1.0/security/incidents', qs: { $top: 1 } });
		const lo = createLoadOptionsContext({ credentials });
		await defenderApiRequest.call(lo, { api: 'mde', method: 'GET', path: '/api/machines', qs: { $top: 1 } });
		expect(apiCalls().map((l) => l.tenantId)).toEqual(['22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111']);
	});

	it('hunting, package links and machine vulnerabilities have their own pacing buckets', () => {
		expect(quotaFor({ api: 'mde', path: '/api/advancedqueries/run' })).toBe('mdeHunting');
		expect(quotaFor({ api: 'mde', path: '/api/machines/abc/vulnerabilities' })).toBe('mdeMachineVulnerabilities');
		expect(quotaFor({ api: 'graph', path: '/v1.0/security/runHuntingQuery' })).toBe('graphHunting');
		expect(quotaFor({ api: 'mde', path: '/api/machineactions/x/GetPackageUri' })).toBe('mdePackageUri');
		expect(quotaFor({ api: 'mde', path: '/api/machines' })).toBe('mde');
		expect(quotaFor({ api: 'graph', path: '/v1.0/security/alerts_v2' })).toBe('graph');
		expect(quotaFor({ api: 'mde', path: '/api/machines', quota: 'mdeHunting' })).toBe('mdeHunting');
	});
});

describe('hunting concurrency', () => {
	it('runs at most three hunting queries at once per tenant; other calls are not held back', async () => {
		const c = ctx();
		const original = c.helpers.httpRequest;
		let inFlight = 0;
		let maxHunting = 0;
		let huntingNow = 0;
		c.helpers.httpRequest = async (o: IHttpRequestOptions) => {
			const hunting = String(o.url).includes('runHuntingQuery');
			inFlight++;
			if (hunting) maxHunting = Math.max(maxHunting, ++huntingNow);
			try {
				return await original(o);
			} finally {
				inFlight--;
				if (hunting) huntingNow--;
			}
		};
		emu.faults.latency(100);
		try {
			const hunts = Array.from({ length: 8 }, () =>
				defenderApiRequest.call(c, {
					api: 'graph',
					method: 'POST',
					path: '/v1.0/security/runHuntingQuery',
					body: { Query: 'DeviceInfo | take 1' },
				}),
			);
			const others = Array.from({ length: 4 }, () => defenderApiRequest.call(c, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } }));
			await Promise.all([...hunts, ...others]);
		} finally {
			emu.faults.latency(0);
		}
		expect(maxHunting).toBe(3);
		expect(inFlight).toBe(0);
		expect(apiCalls().filter((l) => l.path === '/v1.0/security/runHuntingQuery' && l.status === 200)).toHaveLength(8);
	});
});

describe('retries and their bounds', () => {
	const get: DefenderRequest = { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } };

	it('honours Retry-After on 429 and succeeds', async () => {
		emu.faults.next(1, 429, { retryAfterSec: 1 });
		const res = (await defenderApiRequest.call(ctx(), get)) as IDataObject;
		expect(res.value).toBeDefined();
		expect(apiCalls().map((l) => l.status)).toEqual([429, 200]);
	});

	it('a Retry-After longer than Max Retry Wait fails at once and says when to retry', async () => {
		emu.faults.next(1, 429, { retryAfterSec: 30 });
		const e = await failure(defenderApiRequest.call(ctx({ maxRetryWaitSeconds: 5 }), { ...get, itemIndex: 0 }));
		expect(e.httpCode).toBe('429');
		expect(e.description).toContain('retry after 30 s');
		expect(apiCalls()).toHaveLength(1);
	});

	it('5xx retries are bounded by Max Retries', async () => {
		emu.faults.next(10, 503);
		const e = await failure(defenderApiRequest.call(ctx({ maxRetries: 2 }), get));
		expect(e.httpCode).toBe('503');
		expect(apiCalls()).toHaveLength(3);
	});

	it('a body that stays malformed fails with a "not valid JSON" error', async () => {
		emu.faults.next(5, 'malformed');
		const e = await failure(defenderApiRequest.call(ctx({ maxRetries: 1 }), get));
		expect(e.message).toContain('not valid JSON');
		expect(apiCalls()).toHaveLength(2);
	});

	it('Retry-After parsing: seconds, fractions, dates and x-ms-retry-after-ms', () => {
		expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
		expect(retryAfterMs({ 'Retry-After': '0.5' })).toBe(500);
		expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
		expect(retryAfterMs({ 'retry-after': '2', 'x-ms-retry-after-ms': '250' })).toBe(250);
		expect(retryAfterMs({})).toBeUndefined();
	});
});

describe('non-idempotent POSTs', () => {
	const machineId = () => emu.store('A').machines[0].id;
	const isolate = (): DefenderRequest => ({
		api: 'mde',
		method: 'POST',
		path: `/api/machines/${machineId()}/isolate`,
		body: { Comment: 'test', IsolationType: 'Full' },
		itemIndex: 0,
	});
	const posts = () => apiCalls().filter((l) => l.method === 'POST');

	it('is not replayed after a connection reset', async () => {
		emu.faults.next(1, 'reset', '/isolate');
		const e = await failure(defenderApiRequest.call(ctx(), isolate()));
		expect(e.message).toContain('may have reached Microsoft');
		expect(e.message).toContain('not repeated');
		expect(posts()).toHaveLength(1);
	});

	it('is not replayed after a 503', async () => {
		emu.faults.next(1, 503, '/isolate');
		const e = await failure(defenderApiRequest.call(ctx(), isolate()));
		expect(e.httpCode).toBe('503');
		expect(e.description).toContain('not repeated automatically');
		expect(posts()).toHaveLength(1);
	});

	it('is retried after a 429 (the request was refused, not carried out)', async () => {
		emu.faults.next(1, 429, { path: '/isolate', retryAfterSec: 1 });
		const res = await defenderApiRequestFull.call(ctx(), { ...isolate(), path: `/api/machines/${emu.store('A').machines[1].id}/isolate` });
		expect(res.statusCode).toBe(201);
		expect(posts().map((l) => l.status)).toEqual([429, 201]);
	});
});

describe('errors explain what happened and how to fix it', () => {
	it('403 names the missing permission, its API and the consent step', async () => {
		const id = emu.store('A').machines[2].id;
		const e = await failure(
			defenderApiRequest.call(ctx({}, 'readonly'), {
				api: 'mde',
				method: 'POST',
				path: `/api/machines/${id}/isolate`,
				body: { Comment: 'x', IsolationType: 'Full' },
				itemIndex: 0,
				operation: OPERATIONS.machine.isolate,
			}),
		);
		expect(e.httpCode).toBe('403');
		expect(e.message).toContain('Machine.Isolate');
		expect(e.message).toContain('WindowsDefenderATP');
		expect(e.description).toContain('Grant admin consent');
		expect(e.context.itemIndex).toBe(0);
	});

	it('404 says which object was not found', async () => {
		const e = await failure(defenderApiRequest.call(ctx(), { api: 'mde', method: 'GET', path: `/api/machines/${'f'.repeat(40)}` }));
		expect(e.httpCode).toBe('404');
		expect(e.message).toMatch(/^Not found: .*f{40}/);
	});

	it('400 passes Microsoft\'s message through', async () => {
		const e = await failure(
			defenderApiRequest.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts', qs: { $filter: 'nosuchfield eq 1' } }),
		);
		expect(e.httpCode).toBe('400');
		expect(e.message).toContain('nosuchfield');
	});

	it('refuses to send the token to a link on another host', async () => {
		const e = await defenderApiRequest
			.call(ctx(), { api: 'graph', method: 'GET', path: '', url: 'https://evil.example.com/v1.0/security/incidents' })
			.catch((err: Error) => err);
		expect(e).toBeInstanceOf(NodeOperationError);
		expect(apiCalls()).toHaveLength(0);
	});
});

describe('structured error fields (callers test these, not the message text)', () => {
	const get: DefenderRequest = { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } };
	const isolate = (n: number): DefenderRequest => ({
		api: 'mde',
		method: 'POST',
		path: `/api/machines/${emu.store('A').machines[n].id}/isolate`,
		body: { Comment: 'fields', IsolationType: 'Full' },
		itemIndex: 0,
	});

	it('throttled, server, network and malformed answers carry kind, status and the network code', async () => {
		emu.faults.next(1, 429, { retryAfterSec: 30 });
		const throttled = await failure(defenderApiRequest.call(ctx({ maxRetryWaitSeconds: 5 }), get));
		expect(transportErrorOf(throttled)).toEqual({ kind: 'throttled', status: 429, code: 'TooManyRequests', sent: true });

		emu.faults.next(1, 503, '/isolate');
		expect(transportErrorOf(await failure(defenderApiRequest.call(ctx(), isolate(3))))).toMatchObject({ kind: 'server', status: 503, sent: true });

		emu.faults.next(1, 'reset', '/isolate');
		const reset = await failure(defenderApiRequest.call(ctx(), isolate(4)));
		expect(transportErrorOf(reset)).toMatchObject({ kind: 'network', sent: true });
		expect(transportErrorOf(reset)?.networkCode).toBeTruthy();
		expect(transportErrorOf(reset)?.status).toBeUndefined();
		expect(wasNotSent(reset)).toBe(false);

		emu.faults.next(5, 'malformed');
		expect(transportErrorOf(await failure(defenderApiRequest.call(ctx({ maxRetries: 1 }), get)))).toMatchObject({ kind: 'malformed-response', status: 200 });
	});

	it('403, 404, 400 and a duplicate response action carry Microsoft\'s error code', async () => {
		const forbidden = await failure(defenderApiRequest.call(ctx({}, 'readonly'), { ...isolate(5), operation: OPERATIONS.machine.isolate }));
		expect(transportErrorOf(forbidden)).toMatchObject({ kind: 'forbidden-permission', status: 403, sent: true });
		expect(transportErrorOf(await failure(defenderApiRequest.call(ctx(), { api: 'mde', method: 'GET', path: `/api/machines/${'e'.repeat(40)}` })))).toMatchObject({
			kind: 'not-found',
			status: 404,
		});
		const bad = await failure(defenderApiRequest.call(ctx(), { api: 'mde', method: 'GET', path: '/api/alerts', qs: { $filter: 'nosuchfield eq 1' } }));
		expect(transportErrorOf(bad)).toMatchObject({ kind: 'rejected', status: 400 });
		expect(transportErrorOf(bad)?.code).toBeTruthy();

		await defenderApiRequest.call(ctx(), isolate(6));
		const duplicate = await failure(defenderApiRequest.call(ctx(), isolate(6)));
		expect(transportErrorOf(duplicate)).toEqual({ kind: 'conflict-already-running', status: 400, code: 'ActiveRequestAlreadyExists', sent: true });
	});

	it('no token and connection refused are marked as not sent; a refused redirect says so', async () => {
		const noToken = await failure(
			defenderApiRequest.call(
				createExecuteContext({ credentials: { ...emulatorCredentials(emu, { app: 'full', tenant: 'A' }), clientSecret: 'wrong-secret-value' } }),
				get,
			),
		);
		expect(transportErrorOf(noToken)).toMatchObject({ kind: 'token', sent: false });
		expect(transportErrorOf(noToken)?.code).toMatch(/^AADSTS\d+$/);
		expect(wasNotSent(noToken)).toBe(true);

		const refused = createExecuteContext({
			parameters: { requestOptions: { maxRetries: 0 } },
			credentials: { ...emulatorCredentials(emu, { app: 'full', tenant: 'A' }), cloud: 'custom', customMdeBaseUrl: 'http://127.0.0.1:1' },
		});
		const down = await failure(defenderApiRequest.call(refused, get));
		expect(transportErrorOf(down)).toMatchObject({ kind: 'network', networkCode: 'ECONNREFUSED', sent: false });

		emu.faults.next(1, 'redirect', { status: 302, path: '/api/machineactions' });
		expect(transportErrorOf(await failure(defenderApiRequest.call(ctx(), get)))).toMatchObject({ kind: 'redirect', status: 302, sent: true });
	});

	it('the fields do not change what n8n stores or shows (not enumerable, not in toJSON)', async () => {
		emu.faults.next(1, 429, { retryAfterSec: 30 });
		const e = await failure(defenderApiRequest.call(ctx({ maxRetryWaitSeconds: 5 }), get));
		expect(Object.keys(e)).not.toContain('transport');
		expect(JSON.stringify(e)).not.toContain('throttled');
		expect(transportErrorOf(new Error('other'))).toBeUndefined();
	});
});

describe('pacing', () => {
	let paced: EmulatorHandle;
	beforeAll(async () => {
		paced = await startEmulator({ sizes: { machines: 3, alerts: 3, incidents: 3 }, timeScale: 60 });
	});
	afterAll(async () => {
		await paced.close();
	});

	it('keeps a burst under the quota: 150 parallel calls against 100/min, zero 429s', async () => {
		Object.assign(transportTuning, { pacing: true, timeScale: 60 });
		const c = createExecuteContext({ credentials: emulatorCredentials(paced, { app: 'full', tenant: 'A' }) });
		const results = await Promise.all(
			Array.from({ length: 150 }, (_, i) =>
				defenderApiRequest.call(c, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i }),
			),
		);
		expect(results).toHaveLength(150);
		const calls = paced.log.filter((l) => l.family === 'mde');
		// At least one answered call per request. A GET whose answer was lost on a starved machine
		// (seen once at load 16-19: 157 calls, all 200) is rightly sent again; what pacing must
		// prevent is a 429.
		expect(calls.length).toBeGreaterThanOrEqual(150);
		expect(calls.filter((l) => l.status === 200)).toHaveLength(calls.length);
	});

	it('pacing spans executions: two runs back to back share the window, zero 429s', async () => {
		Object.assign(transportTuning, { pacing: true, timeScale: 60 });
		paced.clearLog();
		const credentials = emulatorCredentials(paced, { app: 'full', tenant: 'B' });
		for (const n of [95, 60]) {
			const run = createExecuteContext({ credentials });
			await Promise.all(
				Array.from({ length: n }, (_, i) =>
					defenderApiRequest.call(run, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i }),
				),
			);
		}
		const calls = paced.log.filter((l) => l.family === 'mde');
		expect(calls.length).toBeGreaterThanOrEqual(155); // as above: a lost answer may be re-sent
		expect(calls.filter((l) => l.status === 200)).toHaveLength(calls.length);
	});

	it('Quota Share 50 %: a burst is paced to half the quota (at most 45 calls in any quota minute)', async () => {
		Object.assign(transportTuning, { pacing: true, timeScale: 60 });
		paced.clearLog();
		const c = createExecuteContext({
			credentials: emulatorCredentials(paced, { app: 'full', tenant: 'C' }),
			parameters: { requestOptions: { quotaSharePercent: 50 } },
		});
		await Promise.all(
			Array.from({ length: 100 }, (_, i) =>
				defenderApiRequest.call(c, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i }),
			),
		);
		const times = paced.log
			.filter((l) => l.family === 'mde')
			.map((l) => Date.parse(l.time))
			.sort((a, b) => a - b);
		expect(times).toHaveLength(100);
		// A quota minute lasts 1,000 ms at time scale 60 (1 ms of slack for the log's ms rounding).
		let most = 0;
		for (let i = 0, j = 0; i < times.length; i++) {
			while (times[i] - times[j] >= 999) j++;
			most = Math.max(most, i - j + 1);
		}
		expect(most).toBeLessThanOrEqual(45);
		expect(most).toBeGreaterThan(30);
	});

	it('after a 429 the whole process waits out Retry-After on that quota, not only the refused call', async () => {
		Object.assign(transportTuning, { pacing: true, timeScale: 60 });
		paced.clearLog();
		clearCapturedLogs();
		const c = createExecuteContext({ credentials: emulatorCredentials(paced, { app: 'full', tenant: 'A' }) });
		paced.faults.next(1, 429, { path: '/api/machineactions', retryAfterSec: 1 });
		const first = defenderApiRequest.call(c, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } });
		const refusedAt = await waitForLog(() => paced.log.find((l) => l.status === 429));
		// The emulator logs the 429 before the transport has read it: wait until the transport holds
		// the quota (its debug line), or under load the other call could leave before the pause exists.
		await waitForLog(() => capturedLogs.find((l) => /throttled on mde\b/.test(l.message)));
		// Another call on the same quota (MDE), sent while the first waits for its retry.
		await defenderApiRequest.call(c, { api: 'mde', method: 'GET', path: '/api/machines', qs: { $top: 1 } });
		await first;
		const other = paced.log.find((l) => l.path === '/api/machines');
		expect(Date.parse(other!.time) - Date.parse(refusedAt.time)).toBeGreaterThanOrEqual(950);
		expect(paced.log.filter((l) => l.status === 429)).toHaveLength(1);
	});
});

async function waitForLog<T>(find: () => T | undefined): Promise<T> {
	for (let i = 0; i < 500; i++) {
		const found = find();
		if (found) return found;
		await sleep(5);
	}
	throw new Error('the emulator log never showed the expected request');
}
