import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { MACHINE_ACTION_TYPES } from '../../nodes/MicrosoftDefender/actions/machineAction/common';
import { ENDPOINT_PERMISSIONS } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { endpointOf, RESPONSE_ACTIONS } from '../../nodes/MicrosoftDefender/helpers/responseActions';

import { apiCalls, byId, run, runError, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';

describe('machine action (emulator)', () => {
	let emu: Emulator;
	const created: IDataObject[] = [];

	beforeAll(async () => {
		emu = await startEmu({
			sizes: { machines: 30, alerts: 5, incidents: 3, huntingRows: 5 },
			actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
		});
		// Seed actions through the node itself: 6 isolations and 3 scans.
		for (let n = 0; n < 6; n++) {
			const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(windowsMachine(emu, n).id)) });
			created.push(out.json);
		}
		for (let n = 0; n < 3; n++) {
			const [out] = await run(emu, { resource: 'machine', operation: 'runAntivirusScan', machineId: byId(String(windowsMachine(emu, n).id)) });
			created.push(out.json);
		}
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	it('Get: returns the action', async () => {
		const [out] = await run(emu, { resource: 'machineAction', operation: 'get', actionId: String(created[0].id).toUpperCase() });
		expect(out.json).toMatchObject({ id: created[0].id, type: 'Isolate', status: 'Pending' });
		expect(out.pairedItem).toEqual({ item: 0 });
	});

	it('Get with Wait for Completion: returns the final state (here: cancelled meanwhile)', async () => {
		const target = created[3];
		const store = storeOf(emu);
		const waiting = run(emu, {
			resource: 'machineAction',
			operation: 'get',
			actionId: String(target.id),
			waitForCompletion: true,
			pollInterval: 1,
			waitTimeout: 20,
		});
		await sleep(200);
		expect(store.cancelAction(store.getMachineAction(target.id), 'analyst@contoso.com', 'stop')).toBe(true);
		const [out] = await waiting;
		expect(out.json).toMatchObject({ id: target.id, status: 'Cancelled' });
		const timedOut = await run(emu, {
			resource: 'machineAction',
			operation: 'get',
			actionId: String(created[2].id),
			waitForCompletion: true,
			pollInterval: 1,
			waitTimeout: 1,
		});
		expect(timedOut[0].json).toMatchObject({ status: 'Pending', waitTimedOut: true });
	});

	it('Get: an unknown action is a 404 naming it; a malformed ID never reaches the API', async () => {
		const unknown = '00000000-0000-4000-8000-00000000abcd';
		const error = await runError(emu, { resource: 'machineAction', operation: 'get', actionId: unknown });
		expect(String(error.httpCode)).toBe('404');
		expect(`${error.message} ${error.description ?? ''}`).toContain(unknown);
		emu.clearLog();
		const bad = await runError(emu, { resource: 'machineAction', operation: 'get', actionId: "x' or 1 eq 1" });
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(bad.message).toContain('"Machine Action ID"');
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Get Many: limit, Return All and filters by machine, type, status and requestor', async () => {
		const limited = await run(emu, { resource: 'machineAction', operation: 'getAll', limit: 4 });
		expect(limited).toHaveLength(4);
		const all = await run(emu, { resource: 'machineAction', operation: 'getAll', returnAll: true });
		expect(all.length).toBe(storeOf(emu).actions.length);

		const machineId = String(created[0].machineId);
		const ofMachine = await run(emu, {
			resource: 'machineAction',
			operation: 'getAll',
			returnAll: true,
			filters: { machineId: machineId.toUpperCase() },
		});
		expect(ofMachine.map((o) => o.json.type).sort()).toEqual(['Isolate', 'RunAntiVirusScan']);

		const scans = await run(emu, {
			resource: 'machineAction',
			operation: 'getAll',
			returnAll: true,
			filters: { type: ['RunAntiVirusScan'], status: ['Pending', 'InProgress'] },
		});
		expect(scans).toHaveLength(3);
		const call = apiCalls(emu, 'GET', '/api/machineactions').pop()!;
		expect(call.query.$filter).toBe("type eq 'RunAntiVirusScan' and (status eq 'Pending' or status eq 'InProgress')");

		const requestor = String(created[0].requestor);
		const mine = await run(emu, { resource: 'machineAction', operation: 'getAll', returnAll: true, filters: { requestor } });
		expect(mine.length).toBeGreaterThanOrEqual(created.length);
		const nobody = await run(emu, {
			resource: 'machineAction',
			operation: 'getAll',
			returnAll: true,
			filters: { requestor: "o'brien@contoso.com" },
		});
		expect(nobody).toHaveLength(0);
	});

	it('Get Many: a malformed machine ID filter is refused before sending', async () => {
		const error = await runError(emu, { resource: 'machineAction', operation: 'getAll', filters: { machineId: 'abc' } });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('"Filters > Machine ID"');
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Cancel: cancels a pending action; cancelling it again passes Microsoft 400 through', async () => {
		const target = created[5];
		const [out] = await run(emu, {
			resource: 'machineAction',
			operation: 'cancel',
			actionId: String(target.id),
			comment: 'false positive',
		});
		expect(out.json).toMatchObject({ id: target.id, status: 'Cancelled', cancellationComment: 'false positive' });
		const again = await runError(emu, { resource: 'machineAction', operation: 'cancel', actionId: String(target.id) });
		expect(String(again.httpCode)).toBe('400');
		expect(`${again.message} ${again.description ?? ''}`).toContain('final state');
	});

	it('Cancel: a read-only app gets 403 with the roles that allow cancelling', async () => {
		const error = await runError(
			emu,
			{ resource: 'machineAction', operation: 'cancel', actionId: String(created[4].id) },
			{ app: 'readonly' },
		);
		expect(String(error.httpCode)).toBe('403');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/Machine\.(Isolate|Scan|CollectForensics)/);
	});
});

describe('response action specs (helpers/responseActions.ts) against the emulator', () => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 30, alerts: 5, incidents: 3, huntingRows: 5 } });
	});
	afterAll(async () => await emu.close());

	it('each spec sends its POST and gets back a machine action of its type, which Machine Action → Get Many can filter on', async () => {
		const listed = MACHINE_ACTION_TYPES.map((t) => t.value);
		const specs = Object.entries(RESPONSE_ACTIONS);
		expect(specs).toHaveLength(8);
		for (const [n, [operation, spec]] of specs.entries()) {
			expect(listed).toContain(spec.type);
			const machineId = String(windowsMachine(emu, n).id);
			emu.clearLog();
			const extra = spec.body?.some((f) => f.check === 'sha1') ? { sha1: 'a'.repeat(40) } : {};
			const [out] = await run(emu, { resource: 'machine', operation, machineId: byId(machineId), ...extra });
			expect({ operation, type: out.json.type, machineId: out.json.machineId }).toEqual({ operation, type: spec.type, machineId });
			const posts = apiCalls(emu, 'POST', '/api/machines/');
			expect(posts.map((c) => c.path)).toEqual([`/api/machines/${machineId}/${endpointOf(spec)}`]);
			const [found] = await run(emu, { resource: 'machineAction', operation: 'getAll', filters: { type: [spec.type], machineId } });
			expect(found.json.id).toBe(out.json.id);
		}
	});
});

describe('Machine Action → Cancel permission', () => {
	it('lists exactly the response actions\' permissions (from their specs) and Machine.LiveResponse', () => {
		const fromSpecs = Object.values(RESPONSE_ACTIONS).flatMap((spec) => ENDPOINT_PERMISSIONS[spec.call].roles);
		const cancel = ENDPOINT_PERMISSIONS['POST /api/machineactions/:id/cancel'].roles;
		expect([...new Set(cancel)].sort()).toEqual([...new Set([...fromSpecs, 'Machine.LiveResponse'])].sort());
	});
});
