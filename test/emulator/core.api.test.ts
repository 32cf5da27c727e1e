/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
import * as net from 'node:net';
import { startEmulator, type EmulatorHandle } from './index';
import { FIXTURE } from './core/fixture';
import { getToken, jwtPayload, request } from './core/testkit';
import { ApiError, type RouteDef } from './types';

const A = FIXTURE.tenants.A;
const MDE = 'https://api.securitycenter.microsoft.com/.default';
const XDR = 'https://api.security.microsoft.com/.default';
const GRAPH = 'https://graph.microsoft.com/.default';

interface TinyStore {
	tenantId: string;
	items: Array<{ id: string; title: string }>;
	calls: number;
}

/** A tiny route table so the core is tested independently of the Defender data layer. */
const routes: RouteDef<TinyStore>[] = [
	{
		method: 'GET',
		path: '/api/alerts',
		api: 'mde',
		quota: 'mde',
		roles: ['Alert.Read.All', 'Alert.ReadWrite.All'],
		handler: (req, store) => {
			store.calls++;
			return {
				status: 200,
				body: {
					'@odata.context': `${req.origin}/api/$metadata#Alerts`,
					value: store.items,
					tenant: store.tenantId,
					query: req.query,
				},
			};
		},
	},
	{
		method: 'POST',
		path: '/api/machines/:id/isolate',
		api: 'mde',
		quota: 'mde',
		roles: ['Machine.Isolate'],
		handler: (req) => ({
			status: 201,
			body: { machineId: req.params.id, comment: req.body?.Comment },
		}),
	},
	{
		method: 'GET',
		path: '/api/machines/findbytag',
		api: 'mde',
		quota: 'mde',
		roles: [],
		handler: () => ({ status: 200, body: { route: 'findbytag' } }),
	},
	{
		method: 'GET',
		path: '/api/machines/:id',
		api: 'mde',
		quota: 'mde',
		roles: [],
		handler: (req) => ({ status: 200, body: { route: 'byId', id: req.params.id } }),
	},
	{
		method: 'GET',
		path: '/api/machines/:id/missing',
		api: 'mde',
		quota: 'mde',
		roles: [],
		handler: (req) => {
			throw new ApiError(404, 'ResourceNotFound', `Machine ${req.params.id} was not found`);
		},
	},
	{
		method: 'GET',
		path: '/api/incidents',
		api: 'xdr',
		quota: 'xdr-incidents',
		roles: ['Incident.Read.All', 'Incident.ReadWrite.All'],
		handler: () => ({ status: 200, body: { value: [] } }),
	},
	{
		method: 'POST',
		path: '/api/advancedqueries/run',
		api: 'mde',
		quota: 'mde-hunting',
		roles: ['AdvancedQuery.Read.All'],
		handler: () => ({ status: 200, body: { Schema: [], Results: [] } }),
	},
	{
		method: 'GET',
		path: '/v1.0/security/incidents',
		api: 'graph',
		quota: 'graph',
		roles: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
		handler: () => ({ status: 200, body: { value: [] } }),
	},
	{
		method: 'GET',
		path: '/v1.0/security/missing/:id',
		api: 'graph',
		quota: 'graph',
		roles: [],
		handler: () => {
			throw new ApiError(404, 'NotFound', 'gone');
		},
	},
];

routes.push({
	method: 'GET',
	path: '/_files/:tenant/blob',
	api: 'mde',
	quota: 'mde',
	roles: [],
	public: true,
	handler: (req, store) => ({
		status: 200,
		contentType: 'application/octet-stream',
		raw: Buffer.from(`blob of ${store.tenantId} for ${req.auth.appId || 'anonymous'}`),
	}),
});

const createStore = (tenantId: string): TinyStore => ({
	tenantId,
	items: [{ id: 'da1', title: 'x' }],
	calls: 0,
});

let emu: EmulatorHandle<TinyStore>;
const tokens: Record<string, string> = {};
beforeAll(async () => {
	emu = await startEmulator({ routes, createStore });
	tokens.mde = await getToken(emu.httpUrl, { scope: MDE });
	tokens.xdr = await getToken(emu.httpUrl, { scope: XDR });
	tokens.graph = await getToken(emu.httpUrl, { scope: GRAPH });
	tokens.mdeB = await getToken(emu.httpUrl, { scope: MDE, tenant: FIXTURE.tenants.B.id });
	tokens.roMde = await getToken(emu.httpUrl, {
		scope: MDE,
		clientId: FIXTURE.apps.readonly.clientId,
		secret: FIXTURE.apps.readonly.secret,
	});
	tokens.noGraph = await getToken(emu.httpUrl, {
		scope: GRAPH,
		clientId: FIXTURE.apps.noroles.clientId,
		secret: FIXTURE.apps.noroles.secret,
	});
});
afterAll(async () => {
	await emu.close();
});
beforeEach(() => {
	emu.faults.clear();
	emu.useRealTime();
});

const get = (path: string, token?: string, base = emu.httpUrl) =>
	request(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('routing and handlers', () => {
	test('handler gets params, query, body and the tenant store; /api/v1.0 prefix works', async () => {
		const r = await get('/api/v1.0/alerts?$top=5&$filter=status%20eq%20%27New%27', tokens.mde);
		expect(r.status).toBe(200);
		expect(r.json.tenant).toBe(A.id);
		expect(r.json.query).toEqual({ $top: '5', $filter: "status eq 'New'" });
		expect(r.json['@odata.context']).toBe(`${emu.httpUrl}/api/$metadata#Alerts`);
		const b = await get('/api/alerts', tokens.mdeB);
		expect(b.json.tenant).toBe(FIXTURE.tenants.B.id);
		const iso = await request(`${emu.httpUrl}/api/machines/m%201/isolate`, {
			method: 'POST',
			headers: { authorization: `Bearer ${tokens.mde}` },
			body: { Comment: 'c' },
		});
		expect(iso.status).toBe(201);
		expect(iso.json).toEqual({ machineId: 'm 1', comment: 'c' });
	});
	test('literal segments win over params; unknown paths and methods', async () => {
		expect((await get('/api/machines/findbytag', tokens.mde)).json.route).toBe('findbytag');
		expect((await get('/api/MACHINES/abc', tokens.mde)).json).toEqual({ route: 'byId', id: 'abc' });
		expect((await get('/api/nothing', tokens.mde)).status).toBe(404);
		const m = await request(`${emu.httpUrl}/api/alerts`, {
			method: 'DELETE',
			headers: { authorization: `Bearer ${tokens.mde}` },
		});
		expect(m.status).toBe(405);
	});
	test('ApiError renders in the family shape (MDE target, Graph innerError)', async () => {
		const mde = await get('/api/machines/m9/missing', tokens.mde);
		expect(mde.status).toBe(404);
		expect(mde.json.error).toMatchObject({
			code: 'ResourceNotFound',
			message: 'Machine m9 was not found',
		});
		expect(mde.json.error.target).toMatch(/^[0-9a-f-]{36}$/);
		const g = await request(`${emu.httpUrl}/v1.0/security/missing/1`, {
			headers: { authorization: `Bearer ${tokens.graph}`, 'client-request-id': 'abc' },
		});
		expect(g.status).toBe(404);
		expect(g.json.error).toMatchObject({
			code: 'NotFound',
			message: 'gone',
			innerError: { 'client-request-id': 'abc' },
		});
		expect(Object.keys(g.json.error.innerError).sort()).toEqual([
			'client-request-id',
			'date',
			'request-id',
		]);
	});
	test('the same API answers over HTTPS', async () => {
		const r = await get('/api/alerts', tokens.mde, emu.httpsUrl);
		expect(r.status).toBe(200);
	});
});

describe('public routes', () => {
	test('served without a bearer token, store picked from :tenant, no quota', async () => {
		const r = await get(`/_files/${A.id}/blob`);
		expect(r.status).toBe(200);
		expect(r.headers['content-type']).toBe('application/octet-stream');
		expect(r.text).toBe(`blob of ${A.id} for anonymous`);
		expect((await get('/_files/B/blob')).text).toBe(
			`blob of ${FIXTURE.tenants.B.id} for anonymous`,
		);
		const unknown = await get('/_files/99999999-9999-4999-8999-999999999999/blob');
		expect(unknown.status).toBe(404);
	});
});

describe('authorization', () => {
	test('no token / garbage token → 401', async () => {
		const none = await get('/api/alerts');
		expect(none.status).toBe(401);
		expect(none.json.error.code).toBe('Unauthorized');
		const g = await get('/v1.0/security/incidents', 'garbage');
		expect(g.status).toBe(401);
		expect(g.json.error).toMatchObject({
			code: 'InvalidAuthenticationToken',
			message: 'CompactToken parsing failed with error code: 80049217',
		});
		expect(g.json.error.innerError).toBeDefined();
	});
	test('wrong audience → 401 Invalid audience (Graph token on MDE, MDE token on Graph)', async () => {
		const r = await get('/api/alerts', tokens.graph);
		expect(r.status).toBe(401);
		expect(r.json.error).toMatchObject({
			code: 'Unauthorized',
			message: 'Access token validation failure. Invalid audience.',
		});
		const g = await get('/v1.0/security/incidents', tokens.mde);
		expect(g.status).toBe(401);
		expect(g.json.error).toMatchObject({
			code: 'InvalidAuthenticationToken',
			message: 'Access token validation failure. Invalid audience.',
		});
	});
	test('sibling Defender audience → 403 Missing application roles', async () => {
		const r = await get('/api/alerts', tokens.xdr);
		expect(r.status).toBe(403);
		expect(r.json.error.code).toBe('Forbidden');
		expect(r.json.error.message).toBe(
			'Missing application roles. API required roles: Alert.Read.All,Alert.ReadWrite.All, application roles: Incident.Read.All,Incident.ReadWrite.All,AdvancedHunting.Read.All.',
		);
		expect((await get('/api/incidents', tokens.mde)).status).toBe(403);
		expect((await get('/api/incidents', tokens.xdr)).status).toBe(200);
	});
	test('missing role → 403 with required and granted roles', async () => {
		const r = await request(`${emu.httpUrl}/api/machines/m1/isolate`, {
			method: 'POST',
			headers: { authorization: `Bearer ${tokens.roMde}` },
			body: {},
		});
		expect(r.status).toBe(403);
		expect(r.json.error.message).toBe(
			'Missing application roles. API required roles: Machine.Isolate, application roles: Alert.Read.All,Machine.Read.All,AdvancedQuery.Read.All,Vulnerability.Read.All,Software.Read.All,User.Read.All.',
		);
		const g = await get('/v1.0/security/incidents', tokens.noGraph);
		expect(g.status).toBe(403);
		expect(g.json.error).toMatchObject({
			code: 'Forbidden',
			message:
				'Missing application roles. API required roles: SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .',
		});
		expect(g.json.error.innerError['request-id']).toBeDefined();
	});
	test('expired token → 401 (emulator clock)', async () => {
		const exp = jwtPayload(tokens.mde).exp as number;
		emu.setNow(exp * 1000 + 1000);
		const r = await get('/api/alerts', tokens.mde);
		expect(r.status).toBe(401);
		expect(r.json.error.message).toBe('Lifetime validation failed, the token is expired.');
		emu.useRealTime();
		expect((await get('/api/alerts', tokens.mde)).status).toBe(200);
	});
	test('a token signed by someone else → 401', async () => {
		const [h, p] = tokens.mde.split('.');
		const r = await get(
			'/api/alerts',
			`${h}.${p}.${Buffer.from('x'.repeat(256)).toString('base64url')}`,
		);
		expect(r.status).toBe(401);
	});
	test('log records family, tenant, app, audience, roles and status', async () => {
		emu.clearLog();
		await get('/api/alerts', tokens.roMde);
		await get('/api/alerts', tokens.graph);
		expect(emu.log).toHaveLength(2);
		expect(emu.log[0]).toMatchObject({
			method: 'GET',
			path: '/api/alerts',
			family: 'mde',
			tenantId: A.id,
			appId: FIXTURE.apps.readonly.clientId,
			audience: 'https://api.securitycenter.microsoft.com',
			status: 200,
		});
		expect(emu.log[0].roles).toContain('Alert.Read.All');
		expect(emu.log[1]).toMatchObject({
			family: 'mde',
			status: 401,
			audience: 'https://graph.microsoft.com',
		});
	});
});

describe('quotas', () => {
	test('429 with Retry-After after the per-minute limit, recovering after the scaled window', async () => {
		const q = await startEmulator({
			routes,
			createStore,
			timeScale: 60,
			quotas: { mde: { perMinute: 3, perHour: 1000 } },
		});
		try {
			const t = await getToken(q.httpUrl, { scope: MDE });
			q.setNow(Date.now());
			for (let i = 0; i < 3; i++) expect((await get('/api/alerts', t, q.httpUrl)).status).toBe(200);
			const r = await get('/api/alerts', t, q.httpUrl);
			expect(r.status).toBe(429);
			expect(r.headers['retry-after']).toBe('1');
			expect(Number(r.headers['x-emulator-retry-after-ms'])).toBe(1000);
			expect(r.json.error.code).toBe('TooManyRequests');
			expect(r.json.error.message).toContain('maximum allowed 3 per 00:01:00');
			expect(q.log[q.log.length - 1]).toMatchObject({ status: 429, quota: 'mde' });
			// Another app in the same tenant has its own window.
			const ro = await getToken(q.httpUrl, {
				scope: MDE,
				clientId: FIXTURE.apps.readonly.clientId,
				secret: FIXTURE.apps.readonly.secret,
			});
			expect((await get('/api/alerts', ro, q.httpUrl)).status).toBe(200);
			q.advance(999);
			expect((await get('/api/alerts', t, q.httpUrl)).status).toBe(429);
			q.advance(1);
			expect((await get('/api/alerts', t, q.httpUrl)).status).toBe(200);
		} finally {
			await q.close();
		}
	});
	test('hunting quota is per tenant (shared by apps) and says code 429; real time recovery with timeScale', async () => {
		const q = await startEmulator({
			routes,
			createStore,
			timeScale: 600,
			quotas: { 'mde-hunting': { perMinute: 2 } },
		});
		try {
			const full = await getToken(q.httpUrl, { scope: MDE });
			const ro = await getToken(q.httpUrl, {
				scope: MDE,
				clientId: FIXTURE.apps.readonly.clientId,
				secret: FIXTURE.apps.readonly.secret,
			});
			const run = (t: string) =>
				request(`${q.httpUrl}/api/advancedqueries/run`, {
					method: 'POST',
					headers: { authorization: `Bearer ${t}` },
					body: { Query: 'DeviceInfo' },
				});
			expect((await run(full)).status).toBe(200);
			expect((await run(ro)).status).toBe(200);
			const r = await run(full);
			expect(r.status).toBe(429);
			expect(r.json.error.code).toBe('429');
			const waitMs = Number(r.headers['x-emulator-retry-after-ms']);
			expect(waitMs).toBeLessThanOrEqual(100);
			await new Promise((resolve) => setTimeout(resolve, waitMs + 20));
			expect((await run(ro)).status).toBe(200);
		} finally {
			await q.close();
		}
	});
	test('quotas: false disables them; Graph 429 has the Graph shape', async () => {
		const off = await startEmulator({ routes, createStore, quotas: false });
		const on = await startEmulator({ routes, createStore, quotas: { graph: { perMinute: 1 } } });
		try {
			const t = await getToken(off.httpUrl, { scope: MDE });
			for (let i = 0; i < 120; i++)
				expect((await get('/api/alerts', t, off.httpUrl)).status).toBe(200);
			const g = await getToken(on.httpUrl, { scope: GRAPH });
			expect((await get('/v1.0/security/incidents', g, on.httpUrl)).status).toBe(200);
			const r = await get('/v1.0/security/incidents', g, on.httpUrl);
			expect(r.status).toBe(429);
			expect(r.json.error).toMatchObject({
				code: 'TooManyRequests',
				innerError: { code: '429', status: '429' },
			});
			expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
		} finally {
			await off.close();
			await on.close();
		}
	});
});

/** Raw HTTP exchange to observe a mid-body reset. */
function rawGet(
	base: string,
	path: string,
	token: string,
): Promise<{ head: string; bodyBytes: number; closedEarly: boolean }> {
	const u = new URL(base);
	return new Promise((resolve, reject) => {
		const sock = net.connect(Number(u.port), u.hostname, () => {
			sock.write(
				`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`,
			);
		});
		let data = Buffer.alloc(0);
		sock.on('data', (c) => (data = Buffer.concat([data, c])));
		sock.on('error', reject);
		sock.on('close', () => {
			const text = data.toString('utf8');
			const i = text.indexOf('\r\n\r\n');
			const head = text.slice(0, i);
			const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
			const bodyBytes = data.length - Buffer.byteLength(text.slice(0, i + 4));
			resolve({ head, bodyBytes, closedEarly: bodyBytes < len });
		});
	});
}

describe('faults', () => {
	test.each([429, 500, 502, 503, 504] as const)('next N answers %s, then normal', async (kind) => {
		emu.faults.next(2, kind);
		const r1 = await get('/api/alerts', tokens.mde);
		const r2 = await get('/api/alerts', tokens.mde);
		const r3 = await get('/api/alerts', tokens.mde);
		expect([r1.status, r2.status, r3.status]).toEqual([kind, kind, 200]);
		expect(r1.json.error.code).toBeTruthy();
		if (kind === 429) expect(r1.headers['retry-after']).toBe('1');
		expect(emu.log[emu.log.length - 2].fault).toBe(String(kind));
	});
	test('path filter: only matching requests get the fault', async () => {
		emu.faults.next(1, 503, '/v1.0/security');
		expect((await get('/api/alerts', tokens.mde)).status).toBe(200);
		expect((await get('/v1.0/security/incidents', tokens.graph)).status).toBe(503);
		expect((await get('/v1.0/security/incidents', tokens.graph)).status).toBe(200);
	});
	test('malformed: 200 with truncated JSON', async () => {
		emu.faults.next(1, 'malformed');
		const r = await get('/api/alerts', tokens.mde);
		expect(r.status).toBe(200);
		expect(r.json).toBeUndefined();
		expect(() => JSON.parse(r.text)).toThrow();
	});
	test('reset: headers and part of the body, then the connection is destroyed', async () => {
		emu.faults.next(1, 'reset');
		await expect(get('/api/alerts', tokens.mde)).rejects.toThrow();
		emu.faults.next(1, 'reset');
		const raw = await rawGet(emu.httpUrl, '/api/alerts', tokens.mde);
		expect(raw.head).toMatch(/^HTTP\/1\.1 200/);
		expect(raw.bodyBytes).toBeGreaterThan(0);
		expect(raw.closedEarly).toBe(true);
	});
	test('tokenDown: the token endpoint answers 503, APIs keep working', async () => {
		emu.faults.next(1, 'tokenDown');
		expect((await get('/api/alerts', tokens.mde)).status).toBe(200);
		await expect(getToken(emu.httpUrl, { scope: MDE })).rejects.toThrow(/503/);
		await expect(getToken(emu.httpUrl, { scope: MDE })).resolves.toBeTruthy();
	});
	test('a reset on the token endpoint via a path filter', async () => {
		emu.faults.next(1, 'reset', '/oauth2/v2.0/token');
		await expect(getToken(emu.httpUrl, { scope: MDE })).rejects.toThrow();
		await expect(getToken(emu.httpUrl, { scope: MDE })).resolves.toBeTruthy();
	});
	test('latency adds delay', async () => {
		emu.faults.latency(150);
		const t0 = Date.now();
		await get('/api/alerts', tokens.mde);
		const took = Date.now() - t0;
		emu.faults.latency(0);
		expect(took).toBeGreaterThanOrEqual(140);
	});
});

describe('control routes', () => {
	test('faults, log, clock, store pass-through and reset over HTTP', async () => {
		const c = (path: string, method = 'GET', body?: unknown) =>
			request(`${emu.httpUrl}/_control${path}`, { method, body: body as object });
		expect((await c('/health')).json).toMatchObject({
			ok: true,
			httpUrl: emu.httpUrl,
			httpsUrl: emu.httpsUrl,
		});
		expect((await c('/faults', 'POST', { count: 1, kind: '500' })).status).toBe(200);
		expect((await get('/api/alerts', tokens.mde)).status).toBe(500);
		await c('/log', 'DELETE');
		await get('/api/alerts', tokens.mde);
		const log = await c('/log?family=mde');
		expect(log.json).toHaveLength(1);
		const clock = await c('/clock', 'POST', { now: '2030-01-01T00:00:00Z' });
		expect(clock.json.iso).toBe('2030-01-01T00:00:00.000Z');
		expect((await get('/api/alerts', tokens.mde)).status).toBe(401);
		await c('/clock', 'POST', { realTime: true });
		const store = emu.store('A');
		const calls = store.calls;
		(emu.store(A.id) as TinyStore & { bump?: (n: number) => number }).bump = (n: number) =>
			(store.calls += n);
		const r = await c(`/tenants/${A.domain}/store/bump`, 'POST', [5]);
		expect(r.json).toBe(calls + 5);
		expect((await c('/tenants/A/store/nope', 'POST', [])).status).toBe(400);
		expect((await c('/reset', 'POST')).status).toBe(200);
		expect(emu.store('A')).not.toBe(store);
		expect((await c('/fixture')).json.apps[FIXTURE.apps.full.clientId].name).toBe('FULL');
	});
});
