/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, IHttpRequestOptions, IN8nHttpFullResponse, INodeProperties } from 'n8n-workflow';

import { startEmulator } from '../emulator';
import { createExecuteContext, createPollContext, emulatorCredentials } from '../harness';

interface Seen {
	method?: string;
	url?: string;
	headers: http.IncomingHttpHeaders;
	body: string;
}

let server: http.Server;
let origin: string;
const seen: Seen[] = [];

beforeAll(async () => {
	server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			seen.push({ method: req.method, url: req.url, headers: req.headers, body });
			const u = new URL(req.url ?? '/', 'http://x');
			if (u.pathname === '/json') {
				res.writeHead(200, { 'Content-Type': 'application/json', 'X-Custom': 'yes' });
				res.end(JSON.stringify({ ok: true, query: Object.fromEntries(u.searchParams) }));
			} else if (u.pathname === '/fail') {
				res.writeHead(403, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ error: { code: 'Forbidden', message: 'nope' } }));
			} else if (u.pathname === '/malformed') {
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end('{"value": [1, 2');
			} else if (u.pathname === '/bin') {
				res.writeHead(200, { 'Content-Type': 'application/zip' });
				res.end(Buffer.from([1, 2, 3, 4]));
			} else {
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ echo: body, contentType: req.headers['content-type'] ?? null }));
			}
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((r) => server.close(() => r()));
});

describe('harness helpers.httpRequest is n8n-core\'s', () => {
	const ctx = createExecuteContext();

	it('sends qs, Accept for json, User-Agent n8n and returns the parsed body', async () => {
		const body = (await ctx.helpers.httpRequest({
			method: 'GET',
			url: `${origin}/json`,
			qs: { $top: 2, $filter: "name eq 'a b'" },
			json: true,
		})) as IDataObject;
		expect(body).toEqual({ ok: true, query: { $top: '2', $filter: "name eq 'a b'" } });
		const last = seen[seen.length - 1];
		expect(last.headers.accept).toBe('application/json');
		expect(last.headers['user-agent']).toBe('n8n');
	});

	it('returnFullResponse gives body, headers, statusCode, statusMessage', async () => {
		const full = (await ctx.helpers.httpRequest({
			url: `${origin}/json`,
			json: true,
			returnFullResponse: true,
		})) as IN8nHttpFullResponse;
		expect(full.statusCode).toBe(200);
		expect(full.statusMessage).toBe('OK');
		expect(full.headers['x-custom']).toBe('yes');
		expect((full.body as IDataObject).ok).toBe(true);
	});

	it('rejects a non-2xx with the AxiosError (response attached) unless ignoreHttpStatusErrors', async () => {
		await expect(ctx.helpers.httpRequest({ url: `${origin}/fail`, json: true })).rejects.toMatchObject({
			isAxiosError: true,
			response: { status: 403, data: { error: { code: 'Forbidden' } } },
		});
		const full = (await ctx.helpers.httpRequest({
			url: `${origin}/fail`,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as IN8nHttpFullResponse;
		expect(full.statusCode).toBe(403);
	});

	it('leaves a malformed JSON body as a string', async () => {
		const body = await ctx.helpers.httpRequest({ url: `${origin}/malformed`, json: true });
		expect(typeof body).toBe('string');
	});

	it("encoding 'arraybuffer' returns a Buffer", async () => {
		const body = await ctx.helpers.httpRequest({ url: `${origin}/bin`, encoding: 'arraybuffer' });
		expect(Buffer.isBuffer(body)).toBe(true);
		expect([...(body as Buffer)]).toEqual([1, 2, 3, 4]);
	});

	it('sends objects as JSON, URLSearchParams and form-typed objects as a form, no body on GET', async () => {
		const a = (await ctx.helpers.httpRequest({ method: 'POST', url: `${origin}/echo`, body: { A: 1 }, json: true })) as IDataObject;
		expect(a.echo).toBe('{"A":1}');
		expect(a.contentType).toMatch(/application\/json/);
		const b = (await ctx.helpers.httpRequest({
			method: 'POST',
			url: `${origin}/echo`,
			body: new URLSearchParams({ x: 'a b', y: '1' }),
			json: true,
		})) as IDataObject;
		expect(b.echo).toBe('x=a+b&y=1');
		expect(b.contentType).toBe('application/x-www-form-urlencoded');
		const c = (await ctx.helpers.httpRequest({
			method: 'POST',
			url: `${origin}/echo`,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: { x: 'y' },
		})) as IDataObject;
		expect(c.echo).toBe('x=y');
		const d = (await ctx.helpers.httpRequest({ method: 'GET', url: `${origin}/echo`, body: { x: 1 } })) as IDataObject;
		expect(d.echo).toBe('');
	});

	it('serialises arrays like qs indices (n8n-core default)', async () => {
		await ctx.helpers.httpRequest({ url: `${origin}/echo`, qs: { a: [1, 2], b: 'x y' } });
		expect(seen[seen.length - 1].url).toBe('/echo?a%5B0%5D=1&a%5B1%5D=2&b=x%20y');
	});
});

describe('harness getNodeParameter', () => {
	const properties: INodeProperties[] = [
		{ displayName: 'Resource', name: 'resource', type: 'options', default: 'alert', options: [{ name: 'Alert', value: 'alert' }, { name: 'Machine', value: 'machine' }] },
		{ displayName: 'Operation', name: 'operation', type: 'options', default: 'getAll', options: [], displayOptions: { show: { resource: ['alert'] } } },
		{ displayName: 'Operation', name: 'operation', type: 'options', default: 'isolate', options: [], displayOptions: { show: { resource: ['machine'] } } },
		{ displayName: 'Limit', name: 'limit', type: 'number', default: 50, displayOptions: { show: { resource: ['machine'], operation: ['getAll'], returnAll: [false] } } },
		{ displayName: 'Return All', name: 'returnAll', type: 'boolean', default: false },
		{
			displayName: 'Machine',
			name: 'machineId',
			type: 'resourceLocator',
			default: { mode: 'list', value: '' },
			modes: [
				{ displayName: 'ID', name: 'id', type: 'string' },
				{ displayName: 'URL', name: 'url', type: 'string', extractValue: { type: 'regex', regex: 'machines/([0-9a-f]{40})' } },
			],
		},
		{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
	];

	it('takes defaults from the visible property only', () => {
		const ctx = createExecuteContext({ properties, parameters: { resource: 'machine' } });
		expect(ctx.getNodeParameter('operation', 0)).toBe('isolate');
		expect(ctx.getNodeParameter('limit', 0, 'fb')).toBe('fb');
		const ctx2 = createExecuteContext({ properties, parameters: { resource: 'machine', operation: 'getAll' } });
		expect(ctx2.getNodeParameter('limit', 0)).toBe(50);
		expect(createExecuteContext({ properties }).getNodeParameter('operation', 0)).toBe('getAll');
	});

	it('throws without fallback for unknown parameters, like n8n', () => {
		const ctx = createExecuteContext({ properties });
		expect(() => ctx.getNodeParameter('nope', 0)).toThrow(/Could not get parameter/);
		expect(ctx.getNodeParameter('nope', 0, 7)).toBe(7);
	});

	it('reads dotted paths and evaluates expressions and functions per item', () => {
		const ctx = createExecuteContext({
			properties,
			items: [{ json: { t: 'x' } }, { json: { t: 'y' } }],
			parameters: { options: { tenantId: '={{ $json.t }}', fixed: 3, other: (i: number) => `f${i}` } },
		});
		expect(ctx.getNodeParameter('options.tenantId', 1)).toBe('y');
		expect(ctx.getNodeParameter('options.fixed', 0)).toBe(3);
		expect(ctx.getNodeParameter('options.missing', 0, 'd')).toBe('d');
		expect(ctx.getNodeParameter('options', 0)).toEqual({ tenantId: 'x', fixed: 3, other: 'f0' });
		expect(ctx.getNodeParameter('options.tenantId', 0, undefined, { rawExpressions: true })).toBe('={{ $json.t }}');
	});

	it('resource locators: whole object without extractValue, value (regex-extracted) with it', () => {
		const id = 'a'.repeat(40);
		const ctx = createExecuteContext({
			properties,
			parameters: { machineId: { __rl: true, mode: 'url', value: `https://security.microsoft.com/machines/${id}/overview` } },
		});
		expect(ctx.getNodeParameter('machineId', 0, undefined, { extractValue: true })).toBe(id);
		expect(ctx.getNodeParameter('machineId', 0)).toMatchObject({ __rl: true, mode: 'url' });
	});

	it('poll contexts take (name, fallback) and capture emits', () => {
		const ctx = createPollContext({ properties, parameters: { resource: 'machine' } });
		expect(ctx.getNodeParameter('operation')).toBe('isolate');
		expect(ctx.getNodeParameter('nope', 'fb')).toBe('fb');
		expect(ctx.getMode()).toBe('trigger');
		const data = ctx.getWorkflowStaticData('node');
		data.x = 1;
		expect(ctx.getWorkflowStaticData('node')).toEqual({ x: 1 });
	});
});

describe("the harness shows what n8n's request code does (n8n-core 1.122.48)", () => {
	let emu: Awaited<ReturnType<typeof startEmulator>>;
	beforeAll(async () => {
		emu = await startEmulator({ sizes: { machines: 2, alerts: 2, incidents: 1 }, quotas: false });
	});
	afterAll(async () => {
		await emu.close();
	});

	it('n8n re-attaches Authorization on a redirect to another origin unless told not to (why the transport sets both flags)', async () => {
		const ctx = createExecuteContext();
		const send = (extra: Partial<IHttpRequestOptions>) =>
			ctx.helpers.httpRequest({ url: `${emu.httpUrl}/api/machines`, headers: { Authorization: 'Bearer canary-harness' }, json: true, ...extra });
		emu.faults.next(1, 'redirect', { status: 302, path: '/api/machines' });
		await send({});
		expect(emu.trap.requests.map((r) => r.authorization)).toEqual(['Bearer canary-harness']);
		emu.trap.clear();
		emu.faults.next(1, 'redirect', { status: 302, path: '/api/machines' });
		await send({ sendCredentialsOnCrossOriginRedirect: false });
		expect(emu.trap.requests.map((r) => r.authorization)).toEqual([undefined]);
		emu.trap.clear();
		emu.faults.next(1, 'redirect', { status: 307, path: '/api/machines' });
		const full = (await send({ disableFollowRedirect: true, returnFullResponse: true, ignoreHttpStatusErrors: true })) as IN8nHttpFullResponse;
		expect(full.statusCode).toBe(307);
		expect(emu.trap.requests).toEqual([]);
	});

	it("httpRequestWithAuthentication is n8n-core's: preAuthentication, authenticate, then the request", async () => {
		// The credential's own token is for the API of "Test Connection With": MDE here.
		const credentials = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		credentials.testApi = 'mde';
		const ctx = createExecuteContext({ credentials });
		const body = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, 'microsoftDefenderEntraAppApi', {
			url: `${emu.httpUrl}/api/machineactions`,
			qs: { $top: 1 },
			json: true,
		})) as IDataObject;
		expect(Array.isArray(body.value)).toBe(true);
		// preAuthentication stored its token with the credential, as n8n does.
		expect(String(credentials.accessToken)).toMatch(/^eyJ/);
		const apiCall = emu.log.filter((e) => e.path === '/api/machineactions').pop();
		expect(apiCall?.status).toBe(200);
	});
});
