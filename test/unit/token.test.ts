import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import {
	defenderApiRequest,
	resetTransportState,
	transportTuning,
} from '../../nodes/MicrosoftDefender/transport';
import { startEmulator, FIXTURE, type EmulatorHandle } from '../emulator';
import { createExecuteContext, emulatorCredentials } from '../harness';

const saved = { ...transportTuning };
let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ sizes: { machines: 3, alerts: 3, incidents: 3 }, quotas: false });
});
afterAll(async () => {
	await emu.close();
	Object.assign(transportTuning, saved);
	resetTransportState();
});
beforeEach(() => {
	resetTransportState();
	Object.assign(transportTuning, saved, { pacing: false });
	emu.useRealTime();
	emu.clearLog();
});

const tokenRequests = (e: EmulatorHandle) => e.log.filter((l) => l.family === 'entra');

describe('token service', () => {
	it('1,000 items → exactly one token request per audience', async () => {
		const items: INodeExecutionData[] = Array.from({ length: 1000 }, () => ({ json: {} }));
		const ctx = createExecuteContext({ items, credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		// Each item calls one API (alternating), like a mixed workflow; 1,000 calls in all.
		for (let i = 0; i < items.length; i++) {
			if (i % 2 === 0) {
				await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i });
			} else {
				await defenderApiRequest.call(ctx, { api: 'graph', method: 'GET', path: '/v1.0/security/incidents', qs: { $top: 1 }, itemIndex: i });
			}
		}
		const tokens = tokenRequests(emu);
		expect(tokens).toHaveLength(2);
		expect(new Set(tokens.map((t) => t.scope))).toEqual(
			new Set(['https://api.securitycenter.microsoft.com/.default', 'https://graph.microsoft.com/.default']),
		);
		expect(emu.log.filter((l) => l.family !== 'entra' && l.status === 200)).toHaveLength(1000);
	});

	it('20 parallel first requests share one token request', async () => {
		const ctx = createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		await Promise.all(
			Array.from({ length: 20 }, () => defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } })),
		);
		expect(tokenRequests(emu)).toHaveLength(1);
		expect(emu.log.filter((l) => l.family === 'mde' && l.status === 200)).toHaveLength(20);
	});

	it('a changed secret or certificate gets its own token (cache keyed by fingerprint)', async () => {
		const c = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		await defenderApiRequest.call(createExecuteContext({ credentials: c }), { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } });
		await defenderApiRequest.call(createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate' }) }), {
			api: 'mde',
			method: 'GET',
			path: '/api/machineactions',
			qs: { $top: 1 },
		});
		await defenderApiRequest.call(createExecuteContext({ credentials: c }), { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } });
		expect(tokenRequests(emu).map((t) => t.grant)).toEqual(['secret', 'assertion']);
	});

	it('items for three tenants in one execution each reach their own tenant', async () => {
		const order = ['A', 'B', 'C', 'C', 'A', 'B', 'B', 'A', 'C'] as const;
		const items = order.map((t) => ({ json: { tenant: FIXTURE.tenants[t].id } }));
		const ctx = createExecuteContext({
			items,
			parameters: { requestOptions: { tenantId: '={{ $json.tenant }}' } },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		});
		for (let i = 0; i < items.length; i++) {
			await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i });
		}
		const calls = emu.log.filter((l) => l.family === 'mde');
		expect(calls.map((l) => l.tenantId)).toEqual(items.map((i) => i.json.tenant));
		expect(tokenRequests(emu)).toHaveLength(3);
	});

	it('a domain works as tenant override, a malformed override is refused before any request', async () => {
		const ctx = createExecuteContext({
			parameters: { requestOptions: { tenantId: FIXTURE.tenants.B.domain } },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		});
		await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } });
		expect(emu.log.find((l) => l.family === 'mde')?.tenantId).toBe(FIXTURE.tenants.B.id);
		emu.clearLog();
		const bad = createExecuteContext({
			parameters: { requestOptions: { tenantId: "x' or 1 eq 1" } },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		});
		const err = await defenderApiRequest.call(bad, { api: 'mde', method: 'GET', path: '/api/machineactions', itemIndex: 0 }).catch((e: Error) => e);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect((err as Error).message).toContain('Tenant ID Override');
		expect(emu.log).toHaveLength(0);
	});

	it('a 401 drops the token, fetches a new one and retries once', async () => {
		const ctx = createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 } });
		emu.advance(2 * 3600 * 1000); // the emulator now sees our cached token as expired
		emu.clearLog();
		const res = await defenderApiRequest.call<typeof ctx, [Parameters<typeof defenderApiRequest>[0]], Promise<IDataObject>>(ctx, {
			api: 'mde',
			method: 'GET',
			path: '/api/machineactions',
			qs: { $top: 1 },
		});
		expect(res.value).toBeDefined();
		expect(emu.log.map((l) => `${l.family}:${l.status}`)).toEqual(['mde:401', 'entra:200', 'mde:200']);
	});
});

describe('renewal while the login endpoint is down', () => {
	afterEach(() => {
		jest.useRealTimers();
	});

	it('keeps using the still-valid token when an early renewal fails, and does not hammer Entra', async () => {
		const ctx = createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		const get = { api: 'mde' as const, method: 'GET' as const, path: '/api/machineactions', qs: { $top: 1 } };
		await defenderApiRequest.call(ctx, get);
		// 58 minutes later (only Date moves): inside the renewal window of a 1-hour token, still valid.
		jest.useFakeTimers({
			doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
			now: Date.now() + 58 * 60 * 1000,
		});
		emu.faults.next(3, 'tokenDown');
		emu.clearLog();
		await defenderApiRequest.call(ctx, get);
		await defenderApiRequest.call(ctx, get);
		expect(emu.log.map((l) => `${l.family}:${l.status}`)).toEqual(['entra:503', 'mde:200', 'mde:200']);
		emu.faults.clear();
	});
});

describe('short token lifetimes', () => {
	let short: EmulatorHandle;
	beforeAll(async () => {
		short = await startEmulator({ sizes: { machines: 2, alerts: 2, incidents: 2 }, quotas: false, tokenLifetimeSec: 3 });
	});
	afterAll(async () => {
		await short.close();
	});

	it('tokens with a 3-second lifetime are renewed mid-run without a failed item', async () => {
		const ctx = createExecuteContext({ credentials: emulatorCredentials(short, { app: 'full', tenant: 'A' }) });
		const started = Date.now();
		let ok = 0;
		let i = 0;
		while (Date.now() - started < 7500) {
			await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: i++ });
			ok++;
			await sleep(50);
		}
		expect(ok).toBe(i);
		expect(tokenRequests(short).length).toBeGreaterThanOrEqual(3);
		expect(short.log.filter((l) => l.family === 'mde' && l.status !== 200)).toEqual([]);
	});
});
