/**
 * How the package copes where Microsoft's docs leave the contract open: each seeded variant of
 * the strict emulator is pinned here so CI never depends on a draw.
 */
import type { EmulatorVariants } from '../emulator';
import { PENDING_CHECK_SKIPPED } from '../../nodes/MicrosoftDefender/actions/machine/submit';
import { apiCalls, byId, run, runError, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';

const rl = (value: string) => ({ __rl: true, mode: 'id', value });

describe.each(['ignore', 'refuse'] as const)('undocumented $top/$skip variant "%s"', (undocumentedPaging) => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 20, alerts: 5, incidents: 3 }, variants: { undocumentedPaging } });
	});
	afterAll(async () => await emu.close());

	it('Vulnerability: Get Many for Machine sends no paging options and returns every record once', async () => {
		const m = storeOf(emu).machines.find((x: { softwareIdx: number[] }) => x.softwareIdx.length > 0);
		emu.clearLog();
		const out = await run(emu, { resource: 'vulnerability', operation: 'getAllForMachine', machineId: byId(String(m.id)), returnAll: true });
		const calls = apiCalls(emu, 'GET', `/api/machines/${String(m.id)}/vulnerabilities`);
		expect(calls).toHaveLength(1);
		expect(Object.keys(calls[0].query)).toEqual([]);
		expect(new Set(out.map((o) => o.json.id)).size).toBe(out.length);
		const limited = await run(emu, { resource: 'vulnerability', operation: 'getAllForMachine', machineId: byId(String(m.id)), limit: 1 });
		expect(limited.length).toBe(Math.min(1, out.length));
	});

	it('Software: Get Machines sends no paging options, the limit applies client-side', async () => {
		const store = storeOf(emu);
		const product = store.software.find((_s: unknown, i: number) => store.machines.filter((x: { softwareIdx: number[] }) => x.softwareIdx.includes(i)).length > 1);
		emu.clearLog();
		const all = await run(emu, { resource: 'software', operation: 'getMachines', softwareId: String(product.id), returnAll: true });
		const one = await run(emu, { resource: 'software', operation: 'getMachines', softwareId: String(product.id), limit: 1 });
		expect(all.length).toBeGreaterThan(1);
		expect(one).toHaveLength(1);
		for (const call of apiCalls(emu, 'GET', '/machineReferences')) expect(Object.keys(call.query)).toEqual([]);
	});
});

describe.each([
	['updatePage', 'NotMalicious', 1],
	['resourcePage', 'Clean', 2],
] as const)('MDE alert determination, emulator accepts the %s spelling', (determinationSpelling, accepted, patches) => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 3, alerts: 5, incidents: 2 }, variants: { determinationSpelling } as Partial<EmulatorVariants> });
	});
	afterAll(async () => await emu.close());

	it(`Not Malicious is stored (${patches} PATCH${patches > 1 ? 'es' : ''})`, async () => {
		const id = String(storeOf(emu).alerts[0].id);
		emu.clearLog();
		const [item] = await run(emu, { resource: 'alert', operation: 'update', api: 'mde', alertId: rl(id), updateFields: { classification: 'falsePositive', determination: 'notMalicious' } });
		expect(apiCalls(emu, 'PATCH', `/api/alerts/${id}`)).toHaveLength(patches);
		// The emulator answers in the alert resource page's vocabulary whichever spelling it took.
		expect(['NotMalicious', 'Clean']).toContain(item.json.determination);
		if (patches > 1) expect(item.json.determinationSentAs).toBe(accepted);
		else expect(item.json.determinationSentAs).toBeUndefined();
	});

	it('a value neither page lists is not retried: the 400 comes back', async () => {
		const id = String(storeOf(emu).alerts[1].id);
		emu.clearLog();
		const error = await runError(emu, { resource: 'alert', operation: 'update', api: 'mde', alertId: rl(id), updateFields: { determination: '={{ "Bogus" }}' } });
		expect(String(error.httpCode)).toBe('400');
		expect(apiCalls(emu, 'PATCH', `/api/alerts/${id}`)).toHaveLength(1);
	});
});

describe('response action with only its own permission (no Machine.Read.All)', () => {
	let emu: Emulator;
	const app = { clientId: 'cccccccc-0000-4000-8000-000000000001', secret: 'isolate-only-secret' };
	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 20, alerts: 3, incidents: 2 }, actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 } });
		emu.addApp({ name: 'ISOLATEONLY', clientId: app.clientId, secret: app.secret, tenants: [storeOf(emu).tenantId], roles: { mde: ['Machine.Isolate'], xdr: [], graph: [] } });
	});
	afterAll(async () => await emu.close());

	it('isolates, and says the pending-action check was skipped', async () => {
		const machineId = String(windowsMachine(emu, 0).id);
		emu.clearLog();
		const [item] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(machineId) }, { app });
		expect(item.json).toMatchObject({ type: 'Isolate', status: 'Pending', pendingCheckSkipped: PENDING_CHECK_SKIPPED });
		expect(apiCalls(emu, 'GET', '/api/machineactions').map((c) => c.status)).toEqual([403]);
	});

	it('a duplicate is refused by Microsoft; the error says why and what to grant', async () => {
		const machineId = String(windowsMachine(emu, 1).id);
		await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(machineId) }, { app });
		const error = await runError(emu, { resource: 'machine', operation: 'isolate', machineId: byId(machineId) }, { app });
		expect(String(error.httpCode)).toBe('400');
		expect(String(error.description)).toMatch(/already in progress[\s\S]*Machine\.Read\.All/);
	});

	it('several items: the refused check is asked once per run, not once per item', async () => {
		emu.clearLog();
		const items = [2, 3, 4].map((n) => ({ json: { id: String(windowsMachine(emu, n).id) } }));
		const out = await run(emu, { resource: 'machine', operation: 'isolate', machineId: { __rl: true, mode: 'id', value: '={{ $json.id }}' } }, { app, items });
		expect(out).toHaveLength(3);
		for (const o of out) expect(o.json.pendingCheckSkipped).toBe(PENDING_CHECK_SKIPPED);
		expect(apiCalls(emu, 'GET', '/api/machineactions')).toHaveLength(1);
	});
});

describe.each([
	['ignore', 'listIncidents'],
	['refuse', 'listIncidents'],
	['lenient', undefined],
] as const)('Get incident with $expand=alerts (undocumented), emulator variant "%s"', (variant, source) => {
	let emu: Emulator;
	beforeAll(async () => {
		emu =
			variant === 'lenient'
				? await startEmu({ sizes: { machines: 10, alerts: 60, incidents: 20 }, strict: { lenient: 'the expansion honoured, as the real service may do' } })
				: await startEmu({ sizes: { machines: 10, alerts: 60, incidents: 20 }, variants: { undocumentedPaging: variant } });
	});
	afterAll(async () => await emu.close());

	const withAlerts = () => {
		const store = storeOf(emu);
		return store.incidents.find((inc: unknown) => store.alertsOfIncident(inc).length > 1);
	};

	it(`Incident → Get returns every alert of the incident${source ? ' (through List incidents)' : ' in one call'}`, async () => {
		const incident = withAlerts();
		const expected = storeOf(emu).alertsOfIncident(incident).map((a: { id: string }) => a.id).sort();
		emu.clearLog();
		const [item] = await run(emu, { resource: 'incident', operation: 'get', incidentId: rl(String(incident.incidentId)) });
		expect((item.json.alerts as Array<{ id: string }>).map((a) => a.id).sort()).toEqual(expected);
		expect(item.json.alertsSource).toBe(source);
		expect(apiCalls(emu).length).toBe(source ? (variant === 'refuse' ? 3 : 2) : 1);
	});

	it('Alert → Get Many with the Incident ID filter returns the same alerts', async () => {
		const incident = withAlerts();
		const expected = storeOf(emu).alertsOfIncident(incident).map((a: { id: string }) => a.id).sort();
		const items = await run(emu, { resource: 'alert', operation: 'getAll', returnAll: true, filters: { incidentId: String(incident.incidentId) } });
		expect(items.map((o) => String(o.json.id)).sort()).toEqual(expected);
	});
});

describe.each([
	['updatePage', 2],
	['resourcePage', 1],
] as const)('Graph determinations, emulator accepts the %s spelling', (determinationSpelling, patches) => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 3, alerts: 8, incidents: 4 }, variants: { determinationSpelling } as Partial<EmulatorVariants> });
	});
	afterAll(async () => await emu.close());

	it(`Alert → Update (Graph): Not Malicious is stored (${patches} PATCH)`, async () => {
		const id = String(storeOf(emu).alerts[0].id);
		emu.clearLog();
		const [item] = await run(emu, { resource: 'alert', operation: 'update', alertId: rl(id), updateFields: { classification: 'falsePositive', determination: 'notMalicious' } });
		expect(apiCalls(emu, 'PATCH', `/alerts_v2/${id}`)).toHaveLength(patches);
		expect(item.json.determinationSentAs).toBe(patches > 1 ? 'clean' : undefined);
	});

	it(`Incident → Update: Compromised Account is stored (${patches} PATCH)`, async () => {
		const id = String(storeOf(emu).incidents[0].incidentId);
		emu.clearLog();
		const [item] = await run(emu, { resource: 'incident', operation: 'update', incidentId: rl(id), updateFields: { classification: 'truePositive', determination: 'compromisedAccount' } });
		expect(apiCalls(emu, 'PATCH', `/incidents/${id}`)).toHaveLength(patches);
		expect(item.json.determinationSentAs).toBe(patches > 1 ? 'compromisedUser' : undefined);
	});

	it('Confirmed Activity goes out as confirmedUserActivity, the one spelling every Graph page uses (1 PATCH)', async () => {
		const id = String(storeOf(emu).alerts[1].id);
		emu.clearLog();
		await run(emu, { resource: 'alert', operation: 'update', alertId: rl(id), updateFields: { classification: 'informationalExpectedActivity', determination: 'confirmedActivity' } });
		const calls = apiCalls(emu, 'PATCH', `/alerts_v2/${id}`);
		expect(calls).toHaveLength(1);
		expect(calls[0].status).toBe(200);
	});
});
