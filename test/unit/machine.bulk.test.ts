import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { transportTuning } from '../../nodes/MicrosoftDefender/transport';
import { apiCalls, byId, run, startEmu, storeOf, type Emulator } from './node.helpers';

/**
 * 300 isolations (300 input items, distinct machines) against the documented MDE quota of
 * 100 calls per minute, time-compressed: the emulator and the transport's pacer both run a
 * minute in a second (timeScale 60). The pending-action check is one list call for the whole run,
 * so the run needs ~3 quota minutes. Pacing keeps it under the quota: 0 failed items.
 */
describe('machine: 300 isolations against a 100/min quota (time-compressed)', () => {
	const TIME_SCALE = 60;
	let emu: Emulator;
	const saved = { ...transportTuning };

	beforeAll(async () => {
		emu = await startEmu({
			sizes: { machines: 320, alerts: 5, incidents: 3, huntingRows: 5 },
			timeScale: TIME_SCALE,
			quotas: { mde: { perMinute: 100, perHour: 1500 } },
			actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
		});
		transportTuning.pacing = true;
		transportTuning.timeScale = TIME_SCALE;
	});
	afterAll(async () => {
		Object.assign(transportTuning, saved);
		await emu.close();
	});

	it('completes with 0 failed items, one isolation per machine, no request over the quota', async () => {
		const machines = (storeOf(emu).machines as IDataObject[]).slice(0, 300);
		expect(new Set(machines.map((m) => m.id)).size).toBe(300);
		const items: INodeExecutionData[] = machines.map((m) => ({ json: { machineId: m.id } }));

		const out = await run(
			emu,
			{
				resource: 'machine',
				operation: 'isolate',
				machineId: (_i: number, item: INodeExecutionData) => byId(String(item.json.machineId)),
				comment: 'Bulk containment',
			},
			{ items, continueOnFail: true },
		);

		const failed = out.filter((o) => o.json.error !== undefined);
		expect(failed).toHaveLength(0);
		expect(out).toHaveLength(300);
		out.forEach((o, index) => {
			expect(o.pairedItem).toEqual({ item: index });
			expect(o.json.type).toBe('Isolate');
			expect(o.json.machineId).toBe(machines[index].id);
			expect(o.json.alreadyPending).toBeUndefined();
		});
		expect(new Set(out.map((o) => o.json.id)).size).toBe(300);

		const posts = apiCalls(emu, 'POST', '/isolate');
		expect(posts).toHaveLength(300);
		expect(posts.every((p) => p.status === 201)).toBe(true);
		// The pre-check reads the pending isolations once for the run, not once per item.
		expect(apiCalls(emu, 'GET', '/api/machineactions')).toHaveLength(1);
		const throttled = apiCalls(emu).filter((e) => e.status === 429);
		expect(throttled).toHaveLength(0);
		for (const m of machines) {
			const isolations = (storeOf(emu).actionsOfMachine(m.id) as IDataObject[]).filter((a) => a.type === 'Isolate');
			expect(isolations).toHaveLength(1);
		}
	}, 180_000);

	it('two items for the same machine in one run send one isolation; the second is flagged alreadyPending', async () => {
		emu.clearLog();
		const machine = (storeOf(emu).machines as IDataObject[])[310];
		const items: INodeExecutionData[] = [{ json: {} }, { json: {} }];
		const out = await run(
			emu,
			{ resource: 'machine', operation: 'isolate', machineId: byId(String(machine.id)), comment: 'Two alerts, one device' },
			{ items },
		);
		expect(out).toHaveLength(2);
		expect(out[0].json.alreadyPending).toBeUndefined();
		expect(out[1].json.alreadyPending).toBe(true);
		expect(out[1].json.id).toBe(out[0].json.id);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
	});
});
