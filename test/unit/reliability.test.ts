/**
 * Regression tests for issue 12 items 7–14 (data loss, duplicated actions, input validation,
 * unclear errors, per-process serialisation). Each test drives the node over real sockets against
 * the emulator and reads what reached it from the emulator's request log and store.
 */
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { responseActionTuning } from '../../nodes/MicrosoftDefender/helpers/outcome';
import { emulatorCredentials, runPoll } from '../harness';

import { apiCalls, byId, byName, run, runError, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';

const QUICK_VERIFY = { verifyLookups: 4, verifyIntervalMs: 400, clockSkewMs: 60000 };
const saved = { ...responseActionTuning };

/** Every response action of one type on a machine, as the emulator holds them. */
function actionsOf(emu: Emulator, machineId: unknown, type: string): IDataObject[] {
	return (storeOf(emu).actionsOfMachine(machineId) as IDataObject[]).filter((a) => a.type === type);
}

describe('item 7/13/14: response actions whose outcome is unknown are never sent twice', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({
			sizes: { machines: 40, alerts: 5, incidents: 3, huntingRows: 5 },
			// Quick actions: by the time a timed-out POST is looked for, it is no longer Pending.
			actionTiming: { pendingMs: 100, inProgressMs: 100, outcome: 'Succeeded' },
		});
		Object.assign(responseActionTuning, QUICK_VERIFY);
	});
	afterAll(async () => {
		Object.assign(responseActionTuning, saved);
		await emu.close();
	});
	beforeEach(() => {
		emu.clearLog();
		emu.faults.clear();
	});

	const timeout = { requestOptions: { timeoutSeconds: 1 } };

	it('a POST that timed out but was carried out (and finished meanwhile) is found, not sent again', async () => {
		const m = windowsMachine(emu, 0);
		emu.faults.next(1, 'slow', { path: `/${String(m.id)}/isolate`, holdMs: 2500 });
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), ...timeout });
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(actionsOf(emu, m.id, 'Isolate')).toHaveLength(1);
		expect(out.json).toMatchObject({ type: 'Isolate', machineId: m.id, recoveredAfterError: true });
	});

	it('an action listed only after the POST timed out is found by a later lookup', async () => {
		const m = windowsMachine(emu, 1);
		// Microsoft carries it out 1.6 s after the POST: after the 1 s timeout and the first lookup.
		emu.faults.next(1, 'slow', { path: `/${String(m.id)}/isolate`, holdMs: 1600, phase: 'before' });
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), ...timeout });
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(actionsOf(emu, m.id, 'Isolate')).toHaveLength(1);
		expect(out.json).toMatchObject({ type: 'Isolate', machineId: m.id, recoveredAfterError: true });
		expect(apiCalls(emu, 'GET', '/api/machineactions').length).toBeGreaterThan(1);
	});

	it('not found after the lookups: the item fails saying the action may have been carried out and how to check', async () => {
		const m = windowsMachine(emu, 2);
		emu.faults.next(1, 'slow', { path: `/${String(m.id)}/isolate`, holdMs: 4000, phase: 'before' });
		const error = await runError(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), ...timeout });
		expect(error.message).toMatch(/may have been carried out/);
		expect(error.message).toContain(String(m.id));
		expect(error.description).toMatch(/Machine Action → Get Many/);
		expect(error.context?.itemIndex).toBe(0);
		expect(apiCalls(emu, 'GET', '/api/machineactions').length).toBe(QUICK_VERIFY.verifyLookups + 1);
		// The held POST is carried out later; it stays the only one.
		for (let waited = 0; apiCalls(emu, 'POST', '/isolate').length === 0 && waited < 5000; waited += 100) await sleep(100);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(actionsOf(emu, m.id, 'Isolate')).toHaveLength(1);
	});

	it('item 13: answer cut and every recovery lookup failing says the isolation may already have happened', async () => {
		const m = windowsMachine(emu, 3);
		emu.faults.next(1, 'reset', { path: `/${String(m.id)}/isolate` });
		// Lookups (each retried by the transport) all fail.
		emu.faults.next(1000, 503, { path: '/api/machineactions' });
		const error = await runError(
			emu,
			{ resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), options: { reusePendingAction: false }, requestOptions: { maxRetries: 0 } },
		);
		emu.faults.clear();
		expect(error.message).toMatch(/may have been carried out/);
		expect(error.message).not.toMatch(/^Could not reach/);
		expect(error.description).toMatch(/lookups for it failed as well/);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(actionsOf(emu, m.id, 'Isolate')).toHaveLength(1);
	});

	it('item 14: two executions isolating one machine at once send one POST', async () => {
		const m = windowsMachine(emu, 4);
		storeOf(emu).setActionBehaviour(m.id, { pendingMs: 60_000 });
		const params = { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) };
		const [a, b] = await Promise.all([run(emu, params), run(emu, params)]);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(actionsOf(emu, m.id, 'Isolate')).toHaveLength(1);
		expect([a[0].json.alreadyPending, b[0].json.alreadyPending].filter(Boolean)).toHaveLength(1);
		expect(a[0].json.id).toBe(b[0].json.id);
	});

	it('item 14: different machines or action types are not held up by each other', async () => {
		const m = windowsMachine(emu, 5);
		const n = windowsMachine(emu, 6);
		const [a, b, c] = await Promise.all([
			run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) }),
			run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(n.id)) }),
			run(emu, { resource: 'machine', operation: 'runAntivirusScan', machineId: byId(String(m.id)) }),
		]);
		expect([a[0].json.type, b[0].json.type, c[0].json.type]).toEqual(['Isolate', 'Isolate', 'RunAntiVirusScan']);
		expect(apiCalls(emu, 'POST')).toHaveLength(3);
	});
});

describe('item 8: MDE Alert → Add Comment (a PATCH) is never replayed', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 5, alerts: 20, incidents: 3, huntingRows: 5 } });
		Object.assign(responseActionTuning, QUICK_VERIFY);
	});
	afterAll(async () => {
		Object.assign(responseActionTuning, saved);
		await emu.close();
	});
	beforeEach(() => {
		emu.clearLog();
		emu.faults.clear();
	});

	const alertId = (n: number) => String((storeOf(emu).alerts as IDataObject[])[n].id);
	const commentsOf = (id: string, text: string) =>
		((storeOf(emu).alerts as IDataObject[]).find((a) => a.id === id)!.comments as IDataObject[]).filter((c) => c.comment === text);

	for (const kind of ['reset', 'malformed', 'slow'] as const) {
		it(`answer lost (${kind}): the comment is stored once and found by reading the alert back`, async () => {
			const id = alertId(kind === 'reset' ? 0 : kind === 'malformed' ? 1 : 2);
			const text = `triaged (${kind})`;
			emu.faults.next(1, kind, { path: `/api/alerts/${id}`, holdMs: 2500 });
			const [out] = await run(emu, {
				resource: 'alert',
				operation: 'addComment',
				api: 'mde',
				alertId: { __rl: true, mode: 'id', value: id },
				comment: text,
				requestOptions: { timeoutSeconds: 1 },
			});
			expect(apiCalls(emu, 'PATCH', '/api/alerts/')).toHaveLength(1);
			expect(commentsOf(id, text)).toHaveLength(1);
			expect(out.json.recoveredAfterError).toBe(true);
		});
	}

	it('a 503 (Microsoft says it failed, comment not there): sent once more, stored once', async () => {
		const id = alertId(3);
		emu.faults.next(1, 503, { path: `/api/alerts/${id}` });
		const [out] = await run(emu, { resource: 'alert', operation: 'addComment', api: 'mde', alertId: { __rl: true, mode: 'id', value: id }, comment: 'after 503' });
		expect(out.json.recoveredAfterError).toBeUndefined();
		expect(apiCalls(emu, 'PATCH', '/api/alerts/').map((c) => c.status)).toEqual([503, 200]);
		expect(commentsOf(id, 'after 503')).toHaveLength(1);
	});

	it('answer lost and the alert cannot be read back: fails saying the comment may have been stored', async () => {
		const id = alertId(4);
		emu.faults.next(1, 'reset', { path: `/api/alerts/${id}` });
		emu.faults.next(1000, 503, { path: `/api/alerts/${id}` });
		const error = await runError(emu, {
			resource: 'alert',
			operation: 'addComment',
			api: 'mde',
			alertId: { __rl: true, mode: 'id', value: id },
			comment: 'lost',
			requestOptions: { maxRetries: 0 },
		});
		emu.faults.clear();
		expect(error.message).toMatch(/may have been stored, so it was not sent again/);
		expect(apiCalls(emu, 'PATCH', '/api/alerts/')).toHaveLength(1);
		expect(commentsOf(id, 'lost')).toHaveLength(1);
	});
});

describe('items 9–13: input is validated before anything is sent', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 10, alerts: 10, incidents: 3, huntingRows: 5 } });
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	async function expectInputError(parameters: Record<string, unknown>, parameter: RegExp | string) {
		const error = await runError(emu, parameters);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(typeof parameter === 'string' ? new RegExp(`"${parameter.replace(/[()>]/g, '\\$&')}"`) : parameter);
		expect(apiCalls(emu)).toHaveLength(0);
		return error;
	}

	const machine = () => (storeOf(emu).machines as IDataObject[])[0];
	const getMany = (): Array<[string, Record<string, unknown>]> => [
		['Machine', { resource: 'machine', operation: 'getAll' }],
		['Machine Action', { resource: 'machineAction', operation: 'getAll' }],
		['Indicator', { resource: 'indicator', operation: 'getAll' }],
		['Vulnerability', { resource: 'vulnerability', operation: 'getAll' }],
		['Vulnerability for machine', { resource: 'vulnerability', operation: 'getAllForMachine', machineId: byId(String(machine().id)) }],
		['Software machines', { resource: 'software', operation: 'getMachines', softwareId: 'microsoft-_-edge' }],
	];

	it('item 9: Limit of -1, NaN, text, 0, null or 2.5 is refused on every Get Many (never "all" or "none")', async () => {
		for (const [name, params] of getMany()) {
			for (const limit of [-1, Number.NaN, 'ten', 0, null, 2.5, '={{ [] }}']) {
				emu.clearLog();
				const error = await expectInputError({ ...params, returnAll: false, limit }, 'Limit');
				expect([name, error.description]).toEqual([name, expect.stringMatching(/Return All/)]);
			}
		}
	});

	it('item 9: a valid Limit (also as digits from an expression) is honoured', async () => {
		const out = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: false, limit: '3' });
		expect(out).toHaveLength(3);
		expect(apiCalls(emu)[0].query.$top).toBe('3');
	});

	it('item 10: lists and objects for text filters are refused, not dropped or sent as [object Object]', async () => {
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ resource: 'machine', operation: 'getAll', filters: { name: ['a', 'b'] } }, 'Filters > Name'],
			[{ resource: 'machine', operation: 'getAll', filters: { tag: { x: 1 } } }, 'Filters > Tag'],
			[{ resource: 'machine', operation: 'getAll', filters: { osPlatform: [{ x: 1 }] } }, 'Filters > OS Platform'],
			[{ resource: 'machineAction', operation: 'getAll', filters: { machineId: ['x'] } }, 'Filters > Machine ID'],
			[{ resource: 'machineAction', operation: 'getAll', filters: { requestor: true } }, 'Filters > Requestor'],
			[{ resource: 'indicator', operation: 'getAll', filters: { indicatorValue: { a: 1 } } }, 'Filters > Indicator Value'],
			[{ resource: 'vulnerability', operation: 'getAll', filters: { cveId: ['CVE-2024-1234'] } }, 'Filters > CVE ID'],
			[{ resource: 'vulnerability', operation: 'getAll', filters: { publicExploit: 'yes' } }, 'Filters > Public Exploit Available'],
		];
		for (const [params, parameter] of cases) {
			emu.clearLog();
			await expectInputError(params, parameter);
		}
	});

	it('item 10: a number for a text filter is read as its digits (the filter is exactly that value)', async () => {
		await run(emu, { resource: 'machine', operation: 'getAll', filters: { tag: 2024 } });
		expect(apiCalls(emu)[0].query.$filter).toBe("machineTags/any(x: x eq '2024')");
	});

	it('item 13: a multi-option filter given a string is read as comma-separated values; an unknown value is named', async () => {
		await run(emu, { resource: 'machine', operation: 'getAll', filters: { riskScore: 'high, Medium' } });
		expect(apiCalls(emu)[0].query.$filter).toBe("(riskScore eq 'High' or riskScore eq 'Medium')");
		emu.clearLog();
		const error = await expectInputError({ resource: 'machineAction', operation: 'getAll', filters: { status: 'Pending,Done' } }, 'Filters > Status');
		expect(error.message).toContain('"Done"');
		await expectInputError({ resource: 'indicator', operation: 'getAll', filters: { action: { a: 1 } } }, 'Filters > Action');
	});

	it('item 13: a lone surrogate is named, not sent, not retried as "could not reach"', async () => {
		const lone = 'host\ud800name';
		await expectInputError({ resource: 'machine', operation: 'getAll', filters: { name: lone } }, 'Filters > Name');
		await expectInputError({ resource: 'machine', operation: 'get', machineId: byName(lone) }, 'Machine (By Name)');
		await expectInputError({ resource: 'indicator', operation: 'getAll', filters: { indicatorValue: '\udc00' } }, 'Filters > Indicator Value');
		const error = await runError(emu, {
			resource: 'alert',
			operation: 'getAll',
			api: 'mde',
			filters: { assignedTo: `analyst${'\ud83d'}@contoso.com` },
		});
		expect(error.message).not.toMatch(/Could not reach/);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('item 11: Wait for Completion refuses NaN, text, 0 or negative intervals and text timeouts', async () => {
		const m = machine();
		for (const [pollInterval, waitTimeout, parameter] of [
			[Number.NaN, 60, 'Poll Interval (Seconds)'],
			['soon', 60, 'Poll Interval (Seconds)'],
			[null, 60, 'Poll Interval (Seconds)'],
			[0, 60, 'Poll Interval (Seconds)'],
			[-5, 60, 'Poll Interval (Seconds)'],
			[5, 'forever', 'Timeout (Seconds)'],
			[5, Number.POSITIVE_INFINITY, 'Timeout (Seconds)'],
		] as const) {
			emu.clearLog();
			await expectInputError(
				{ resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), waitForCompletion: true, pollInterval, waitTimeout },
				parameter,
			);
			await expectInputError(
				{ resource: 'machineAction', operation: 'get', actionId: '5382f7ea-7557-4ab7-9782-d50480024a4e', waitForCompletion: true, pollInterval, waitTimeout },
				parameter,
			);
		}
	});

	it('item 12: 2024-02-30 is refused, not sent as 2024-03-01', async () => {
		await expectInputError({ resource: 'alert', operation: 'getAll', api: 'mde', filters: { createdSince: '2024-02-30' } }, /Created Since/);
		await expectInputError({ resource: 'machine', operation: 'getAll', filters: { lastSeenAfter: '2023-02-29T00:00:00Z' } }, /Last Seen After/);
		await expectInputError({ resource: 'machineAction', operation: 'getAll', filters: { createdAfter: '2024-04-31T10:00:00Z' } }, /Created After/);
		// A real leap day passes.
		await run(emu, { resource: 'alert', operation: 'getAll', api: 'mde', filters: { createdSince: '2024-02-29' } });
		expect(apiCalls(emu)[0].query.$filter).toBe('alertCreationTime ge 2024-02-29T00:00:00.000Z');
	});

	it('item 12: incident IDs above 2^53 are sent digit for digit', async () => {
		await run(emu, { resource: 'alert', operation: 'getAll', api: 'mde', filters: { incidentId: '9007199254740993' } });
		expect(apiCalls(emu)[0].query.$filter).toBe('incidentId eq 9007199254740993');
	});
});

describe('item 12: trigger Backfill and Overlap bounds', () => {
	let emu: Emulator;
	const trigger = new MicrosoftDefenderTrigger();

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 2, alerts: 10, incidents: 3, huntingRows: 5 } });
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	async function pollError(options: IDataObject): Promise<Error> {
		try {
			await runPoll(trigger, {
				parameters: { event: 'newAlert', options },
				credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
				staticData: {},
			});
		} catch (error) {
			return error as Error;
		}
		throw new Error('expected the poll to fail');
	}

	it('a Backfill or Overlap of 1e12, NaN or text fails naming the option, before any request', async () => {
		for (const [options, parameter] of [
			[{ backfillMinutes: 1e12 }, 'Backfill (Minutes)'],
			[{ backfillMinutes: 'a week' }, 'Backfill (Minutes)'],
			[{ backfillMinutes: -5 }, 'Backfill (Minutes)'],
			[{ overlapMinutes: 1e12 }, 'Overlap Window (Minutes)'],
			[{ overlapMinutes: Number.NaN }, 'Overlap Window (Minutes)'],
			[{ maxEventsPerPoll: 0 }, 'Max Events per Poll'],
			[{ pageSize: 5000 }, 'Page Size'],
		] as const) {
			emu.clearLog();
			const error = await pollError(options);
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.message).toContain(`"Options > ${parameter}"`);
			expect(apiCalls(emu)).toHaveLength(0);
		}
	});

	it('a year of backfill still polls', async () => {
		const staticData: IDataObject = {};
		await runPoll(trigger, {
			parameters: { event: 'newAlert', options: { backfillMinutes: 366 * 24 * 60 } },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
			staticData,
		});
		expect(apiCalls(emu).length).toBeGreaterThan(0);
	});
});
