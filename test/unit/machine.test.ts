import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { PAGE_LIMITS } from '../../nodes/MicrosoftDefender/helpers/limits';
import { transportTuning } from '../../nodes/MicrosoftDefender/transport';
import { searchMachines } from '../../nodes/MicrosoftDefender/methods/listSearch/machines';
import { DefenderStore } from '../emulator/data/store';
import { createLoadOptionsContext, emulatorCredentials } from '../harness';

import {
	apiCalls,
	byId,
	byIp,
	byName,
	node,
	run,
	runError,
	startEmu,
	storeOf,
	windowsMachine,
	type Emulator,
} from './node.helpers';
import { readBinary, runNodeWithCoreBinary, startCoreBinary } from './n8nBinary.helpers';

const SIMPLE_FIELDS = [
	'id',
	'computerDnsName',
	'osPlatform',
	'healthStatus',
	'onboardingStatus',
	'riskScore',
	'exposureLevel',
	'lastSeen',
	'lastIpAddress',
	'machineTags',
];

const LONG_TIMING = { pendingMs: 3_600_000, inProgressMs: 3_600_000 };

describe('machine: read operations (emulator)', () => {
	let emu: Emulator;
	let machines: IDataObject[];

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 70, alerts: 10, incidents: 5, huntingRows: 10 }, actionTiming: LONG_TIMING });
		machines = storeOf(emu).machines as IDataObject[];
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	it('Get Many: default limit 50, simplified, every item paired with the input item', async () => {
		const out = await run(emu, { resource: 'machine', operation: 'getAll' });
		expect(out).toHaveLength(50);
		for (const item of out) {
			expect(item.pairedItem).toEqual({ item: 0 });
			for (const key of Object.keys(item.json)) expect(SIMPLE_FIELDS).toContain(key);
			expect(item.json.id).toMatch(/^[0-9a-f]{40}$/);
		}
	});

	it('Get Many: Return All reads every machine; Simplify off returns raw records', async () => {
		const out = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, simplify: false });
		expect(out).toHaveLength(machines.length);
		expect(new Set(out.map((o) => o.json.id)).size).toBe(machines.length);
		expect(out[0].json).toHaveProperty('firstSeen');
		expect(out[0].json).toHaveProperty('ipAddresses');
	});

	it('Get Many: pages with $top/$skip without losing or repeating a machine', async () => {
		const saved = PAGE_LIMITS.mdeMachines.maxPageSize;
		PAGE_LIMITS.mdeMachines.maxPageSize = 16;
		try {
			const all = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true });
			expect(all).toHaveLength(machines.length);
			expect(new Set(all.map((o) => o.json.id)).size).toBe(machines.length);
			const pages = apiCalls(emu, 'GET', '/api/machines');
			expect(pages).toHaveLength(Math.ceil((machines.length + 1) / 16));
			expect(pages.map((p) => Number(p.query.$skip ?? 0))).toEqual(pages.map((_p, n) => n * 16));
			emu.clearLog();
			const some = await run(emu, { resource: 'machine', operation: 'getAll', limit: 20 });
			expect(some).toHaveLength(20);
			expect(some.map((o) => o.json.id)).toEqual(all.slice(0, 20).map((o) => o.json.id));
		} finally {
			PAGE_LIMITS.mdeMachines.maxPageSize = saved;
		}
	});

	it('Get Many: a 429 storm, 5xx bursts and a mid-page reset lose or repeat no machine', async () => {
		const savedPage = PAGE_LIMITS.mdeMachines.maxPageSize;
		const savedBackoff = transportTuning.baseBackoffMs;
		PAGE_LIMITS.mdeMachines.maxPageSize = 16;
		transportTuning.baseBackoffMs = 5;
		try {
			emu.faults.next(3, 429, { path: '/api/machines', retryAfterSec: 0 });
			emu.faults.next(2, 503, { path: '/api/machines' });
			emu.faults.next(1, 'reset', { path: '/api/machines' });
			emu.faults.next(1, 'malformed', { path: '/api/machines' });
			// Seven faults in a row on one page: more than the default 5 retries, so allow 10.
			const all = await run(emu, {
				resource: 'machine',
				operation: 'getAll',
				returnAll: true,
				requestOptions: { maxRetries: 10 },
			});
			expect(all).toHaveLength(machines.length);
			expect(new Set(all.map((o) => o.json.id)).size).toBe(machines.length);
			expect(emu.faults.pending()).toHaveLength(0);
			const faulted = apiCalls(emu, 'GET', '/api/machines').filter((c) => c.fault);
			expect(faulted.length).toBe(7);
		} finally {
			PAGE_LIMITS.mdeMachines.maxPageSize = savedPage;
			transportTuning.baseBackoffMs = savedBackoff;
			emu.faults.clear();
		}
	});

	it('list search: machines by name prefix, 100 per page with a pagination token', async () => {
		const context = createLoadOptionsContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		const first = await searchMachines.call(context);
		expect(first.results).toHaveLength(Math.min(100, machines.length));
		expect(first.results[0].value).toMatch(/^[0-9a-f]{40}$/);
		const name = String(machines[2].computerDnsName);
		const filtered = await searchMachines.call(context, name);
		expect(filtered.results.map((r) => r.value)).toContain(machines[2].id);
		expect(filtered.results[0].name).toContain(name);
		const none = await searchMachines.call(context, "zz'");
		expect(none.results).toHaveLength(0);
		expect(none.paginationToken).toBeUndefined();
	});

	it('Get Many: Limit is honoured', async () => {
		const out = await run(emu, { resource: 'machine', operation: 'getAll', limit: 7 });
		expect(out).toHaveLength(7);
	});

	it('Get Many: filters on health, risk, exposure, OS, tag, name and last seen', async () => {
		const store = storeOf(emu);
		const tagged = [machines[3], machines[9]];
		for (const m of tagged) (m.machineTags as string[]).push("vip's-laptop");
		store.bump?.();
		const byTag = await run(emu, {
			resource: 'machine',
			operation: 'getAll',
			returnAll: true,
			filters: { tag: "vip's-laptop" },
		});
		expect(byTag.map((o) => o.json.id).sort()).toEqual(tagged.map((m) => m.id).sort());

		const active = await run(emu, {
			resource: 'machine',
			operation: 'getAll',
			returnAll: true,
			filters: { healthStatus: ['Active'], riskScore: ['High', 'Medium'], exposureLevel: ['High', 'Medium', 'Low'] },
		});
		const expected = machines.filter(
			(m) => m.healthStatus === 'Active' && ['High', 'Medium'].includes(String(m.riskScore)) && ['High', 'Medium', 'Low'].includes(String(m.exposureLevel)),
		);
		expect(active).toHaveLength(expected.length);
		for (const o of active) expect(o.json.healthStatus).toBe('Active');

		const platform = String(machines[0].osPlatform);
		const os = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, filters: { osPlatform: platform } });
		expect(os.length).toBe(machines.filter((m) => m.osPlatform === platform).length);

		const name = String(machines[5].computerDnsName);
		const prefix = name.slice(0, 4);
		const starts = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, filters: { name: prefix } });
		expect(starts.length).toBe(machines.filter((m) => String(m.computerDnsName).toLowerCase().startsWith(prefix.toLowerCase())).length);
		const exact = await run(emu, {
			resource: 'machine',
			operation: 'getAll',
			filters: { name, nameMatch: 'equals' },
		});
		expect(exact.map((o) => o.json.id)).toEqual([machines[5].id]);

		// A cut between two distinct whole milliseconds, so 7-digit fractions cannot straddle it.
		const sorted = machines.map((m) => Date.parse(String(m.lastSeen))).sort((a, b) => a - b);
		let mid = Math.floor(sorted.length / 2);
		while (mid < sorted.length - 1 && sorted[mid + 1] - sorted[mid] < 2) mid++;
		const cut = new Date(Math.floor((sorted[mid] + sorted[mid + 1]) / 2)).toISOString();
		const recent = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, filters: { lastSeenAfter: cut } });
		expect(recent.length).toBe(machines.filter((m) => Date.parse(String(m.lastSeen)) > Date.parse(cut)).length);
		for (const o of recent) expect(Date.parse(String(o.json.lastSeen))).toBeGreaterThan(Date.parse(cut));
	});

	it('Get Many: a quote in the name cannot change the filter', async () => {
		const evil = "x' or computerDnsName ne '";
		const out = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, filters: { name: evil } });
		expect(out).toHaveLength(0);
		const call = apiCalls(emu, 'GET', '/api/machines').pop()!;
		expect(call.status).toBe(200);
		expect(call.query.$filter).toBe("startswith(computerDnsName,'x'' or computerDnsName ne ''')");
	});

	it('Get Many: a bad Last Seen After is refused before any request', async () => {
		const error = await runError(emu, { resource: 'machine', operation: 'getAll', filters: { lastSeenAfter: 'yesterday-ish' } });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('Last Seen After');
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Get: by ID, by name and by IP address return the same machine', async () => {
		const m = machines[11];
		const [a] = await run(emu, { resource: 'machine', operation: 'get', machineId: byId(String(m.id).toUpperCase()) });
		expect(a.json.id).toBe(m.id);
		expect(a.json.computerDnsName).toBe(m.computerDnsName);
		const [b] = await run(emu, { resource: 'machine', operation: 'get', machineId: byName(String(m.computerDnsName)) });
		expect(b.json.id).toBe(m.id);
		const unique = machines.filter((x) => machines.filter((y) => y.lastIpAddress === x.lastIpAddress).length === 1)[0];
		const [c] = await run(emu, { resource: 'machine', operation: 'get', machineId: byIp(String(unique.lastIpAddress)) });
		expect(c.json.id).toBe(unique.id);
		const findCall = apiCalls(emu, 'GET', 'findbyip').pop()!;
		expect(findCall.status).toBe(200);
	});

	it('Get: simplified like Get Many by default (at most 10 fields, same shape); Simplify off returns the record without @odata.context', async () => {
		expect(SIMPLE_FIELDS.length).toBeLessThanOrEqual(10);
		const m = machines[12];
		const many = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true });
		const listed = many.find((o) => o.json.id === m.id)!;
		for (const locator of [byId(String(m.id)), byName(String(m.computerDnsName))]) {
			const [simple] = await run(emu, { resource: 'machine', operation: 'get', machineId: locator });
			expect(Object.keys(simple.json).sort()).toEqual(Object.keys(listed.json).sort());
			expect(simple.json).toEqual(listed.json);
		}
		const [raw] = await run(emu, { resource: 'machine', operation: 'get', machineId: byId(String(m.id)), simplify: false });
		// The emulator answers Get machine with @odata.context, as Microsoft does.
		expect(apiCalls(emu, 'GET', `/api/machines/${String(m.id)}`).pop()?.status).toBe(200);
		expect(raw.json).not.toHaveProperty('@odata.context');
		expect(raw.json).toHaveProperty('firstSeen');
		expect(raw.json).toHaveProperty('ipAddresses');
		const rawMany = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true, simplify: false });
		expect(raw.json).toEqual(rawMany.find((o) => o.json.id === m.id)!.json);
	});

	it('Get: by IP with no match or several matches is an error naming the item', async () => {
		const none = await runError(emu, { resource: 'machine', operation: 'get', machineId: byIp('203.0.113.254') });
		expect(none).toBeInstanceOf(NodeOperationError);
		expect(none.message).toContain('No machine used the IP address 203.0.113.254');
		expect(none.context?.itemIndex).toBe(0);

		const store = storeOf(emu);
		const one = store.addMachine({ lastIpAddress: '198.51.100.7', computerDnsName: 'twin-a.contoso.com' });
		const two = store.addMachine({ lastIpAddress: '198.51.100.7', computerDnsName: 'twin-b.contoso.com' });
		const ambiguous = await runError(emu, { resource: 'machine', operation: 'get', machineId: byIp('198.51.100.7') });
		expect(ambiguous).toBeInstanceOf(NodeOperationError);
		expect(ambiguous.message).toContain('2 machines used the IP address 198.51.100.7');
		expect(ambiguous.description).toContain(one.id);
		expect(ambiguous.description).toContain(two.id);

		const badIp = await runError(emu, { resource: 'machine', operation: 'get', machineId: byIp('10.0.0.0/8') });
		expect(badIp.message).toContain('IPv4 or IPv6');
	});

	it('Get: an unknown machine is a 404 naming it; a malformed ID never reaches the API', async () => {
		const unknown = 'ab'.repeat(20);
		const notFound = await runError(emu, { resource: 'machine', operation: 'get', machineId: byId(unknown) });
		expect(String(notFound.httpCode)).toBe('404');
		expect(`${notFound.message} ${notFound.description ?? ''}`).toContain(unknown);

		emu.clearLog();
		const bad = await runError(emu, { resource: 'machine', operation: 'get', machineId: byId("abc' or 1 eq 1") });
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(bad.message).toContain('"Machine"');
		expect(bad.message).toContain('40 hexadecimal');
		expect(apiCalls(emu)).toHaveLength(0);

		const badName = await runError(emu, { resource: 'machine', operation: 'get', machineId: byName('../machineactions') });
		expect(badName).toBeInstanceOf(NodeOperationError);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Get Logged-On Users: one item per user', async () => {
		const m = machines.find((x) => (x.users as unknown[]).length > 0)!;
		const out = await run(emu, { resource: 'machine', operation: 'getLoggedOnUsers', machineId: byId(String(m.id)) });
		expect(out).toHaveLength((m.users as unknown[]).length);
		expect(out[0].json).toHaveProperty('accountName');
		expect(out[0].pairedItem).toEqual({ item: 0 });
	});

	it('Add Tag and Remove Tag return the updated machine', async () => {
		const m = machines[20];
		const [added] = await run(emu, { resource: 'machine', operation: 'addTag', machineId: byId(String(m.id)), tag: 'n8n-test' });
		expect(added.json.machineTags).toContain('n8n-test');
		const [again] = await run(emu, { resource: 'machine', operation: 'addTag', machineId: byId(String(m.id)), tag: 'n8n-test' });
		expect((again.json.machineTags as string[]).filter((t) => t === 'n8n-test')).toHaveLength(1);
		const [removed] = await run(emu, { resource: 'machine', operation: 'removeTag', machineId: byId(String(m.id)), tag: 'n8n-test' });
		expect(removed.json.machineTags).not.toContain('n8n-test');
		const empty = await runError(emu, { resource: 'machine', operation: 'addTag', machineId: byId(String(m.id)), tag: '  ' });
		expect(empty.message).toContain('"Tag"');
	});

	it('403: a read-only app cannot isolate, an app without roles cannot list; the hint names the permission', async () => {
		const m = windowsMachine(emu);
		const isolate = await runError(
			emu,
			{ resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), options: { reusePendingAction: false } },
			{ app: 'readonly' },
		);
		expect(String(isolate.httpCode)).toBe('403');
		expect(`${isolate.message} ${isolate.description}`).toContain('Machine.Isolate');

		const list = await runError(emu, { resource: 'machine', operation: 'getAll' }, { app: 'noroles' });
		expect(String(list.httpCode)).toBe('403');
		expect(`${list.message} ${list.description}`).toContain('Machine.Read.All');
	});

	it('continueOnFail: bad items become error items, every item keeps its pairedItem', async () => {
		const good = String(machines[1].id);
		const items: INodeExecutionData[] = [{ json: { id: good } }, { json: { id: 'nope' } }, { json: { id: 'cd'.repeat(20) } }];
		const out = await run(
			emu,
			{
				resource: 'machine',
				operation: 'get',
				machineId: (_i: number, item: INodeExecutionData) => byId(String(item.json.id)),
			},
			{ items, continueOnFail: true },
		);
		expect(out).toHaveLength(3);
		expect(out[0].json.id).toBe(good);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.error).toContain('40 hexadecimal');
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect(String(out[2].json.error)).toBeTruthy();
		expect(out[2].json.httpCode).toBe('404');
		expect(out[2].pairedItem).toEqual({ item: 2 });
	});

	it('without continueOnFail the error carries the item index', async () => {
		const items: INodeExecutionData[] = [{ json: {} }, { json: {} }];
		const error = await runError(
			emu,
			{ resource: 'machine', operation: 'get', machineId: (i: number) => byId(i === 0 ? String(machines[0].id) : 'bad') },
			{ items },
		);
		expect(error.context?.itemIndex).toBe(1);
	});
});

describe('machine: response actions (emulator)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 40, alerts: 10, incidents: 5, huntingRows: 10 }, actionTiming: LONG_TIMING });
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	const machine = (n: number) => windowsMachine(emu, n);

	it('Isolate: sends IsolationType and Comment, returns the pending MachineAction', async () => {
		const m = machine(0);
		const [out] = await run(emu, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(String(m.id)),
			isolationType: 'Selective',
			comment: 'Incident 42',
		});
		expect(out.json).toMatchObject({
			type: 'Isolate',
			scope: 'Selective',
			status: 'Pending',
			machineId: m.id,
			requestorComment: 'Incident 42',
		});
		expect(out.json.id).toMatch(/^[0-9a-f-]{36}$/);
		expect(out.json.alreadyPending).toBeUndefined();
		expect(out.pairedItem).toEqual({ item: 0 });
		const posts = apiCalls(emu, 'POST', '/isolate');
		expect(posts).toHaveLength(1);
		expect(posts[0].status).toBe(201);
	});

	it('Isolate again: returns the pending action flagged alreadyPending, without a second POST', async () => {
		const m = machine(0);
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) });
		expect(out.json.alreadyPending).toBe(true);
		expect(out.json.type).toBe('Isolate');
		expect(out.json.requestorComment).toBe('Incident 42');
		expect(apiCalls(emu, 'POST')).toHaveLength(0);
		const lookup = apiCalls(emu, 'GET', '/api/machineactions')[0];
		expect(lookup.query.$filter).toBe(
			`machineId eq '${m.id}' and type eq 'Isolate' and (status eq 'Pending' or status eq 'InProgress')`,
		);
	});

	it('Isolate again without the pre-check: the 400 ActiveRequestAlreadyExists becomes alreadyPending', async () => {
		const m = machine(0);
		const [out] = await run(emu, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(String(m.id)),
			options: { reusePendingAction: false },
		});
		expect(out.json.alreadyPending).toBe(true);
		expect(out.json.type).toBe('Isolate');
		const posts = apiCalls(emu, 'POST', '/isolate');
		expect(posts).toHaveLength(1);
		expect(posts[0].status).toBe(400);
		// Only one isolation exists for the machine.
		const actions = (storeOf(emu).actionsOfMachine(m.id) as IDataObject[]).filter((a) => a.type === 'Isolate');
		expect(actions).toHaveLength(1);
	});

	it('a 503 on the POST: nothing was created, so it is sent once more (never twice)', async () => {
		const m = machine(10);
		emu.faults.next(1, 503, { path: `/${String(m.id)}/isolate` });
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) });
		expect(out.json).toMatchObject({ type: 'Isolate', status: 'Pending', machineId: m.id });
		expect(out.json.recoveredAfterError).toBeUndefined();
		expect(apiCalls(emu, 'POST', '/isolate').map((c) => c.status)).toEqual([503, 201]);
		expect((storeOf(emu).actionsOfMachine(m.id) as IDataObject[]).filter((a) => a.type === 'Isolate')).toHaveLength(1);
	});

	it('a dropped connection or an unreadable answer after the POST: the created action is found, not duplicated', async () => {
		for (const [n, kind] of [[11, 'reset'], [12, 'malformed']] as const) {
			emu.clearLog();
			const m = machine(n);
			emu.faults.next(1, kind, { path: `/${String(m.id)}/isolate` });
			const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) });
			expect([kind, out.json.recoveredAfterError]).toEqual([kind, true]);
			expect(out.json.machineId).toBe(m.id);
			expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
			expect((storeOf(emu).actionsOfMachine(m.id) as IDataObject[]).filter((a) => a.type === 'Isolate')).toHaveLength(1);
		}
	});

	it('two 503s in a row: the error surfaces after one resend, with the item index', async () => {
		const m = machine(13);
		emu.faults.next(2, 503, { path: `/${String(m.id)}/isolate` });
		const error = await runError(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) });
		expect(String(error.httpCode)).toBe('503');
		expect(error.context?.itemIndex).toBe(0);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(2);
		expect(storeOf(emu).actionsOfMachine(m.id)).toHaveLength(0);
	});

	it('Release, Restrict App Execution, Remove App Restriction, Offboard: the right action types', async () => {
		const cases: Array<[string, string]> = [
			['release', 'Unisolate'],
			['restrictAppExecution', 'RestrictCodeExecution'],
			['removeAppRestriction', 'UnrestrictCodeExecution'],
		];
		for (const [operation, type] of cases) {
			const [out] = await run(emu, { resource: 'machine', operation, machineId: byId(String(machine(1).id)) });
			expect(out.json.type).toBe(type);
			expect(out.json.status).toBe('Pending');
		}
		const [off] = await run(emu, { resource: 'machine', operation: 'offboard', machineId: byId(String(machine(2).id)) });
		expect(off.json.type).toBe('Offboard');
		expect(apiCalls(emu, 'POST', '/offboard')[0].status).toBe(200);
	});

	it('Run Antivirus Scan: Quick by default, Full on request; a Linux machine gets Microsoft 400 passed through', async () => {
		const [quick] = await run(emu, { resource: 'machine', operation: 'runAntivirusScan', machineId: byId(String(machine(3).id)) });
		expect(quick.json).toMatchObject({ type: 'RunAntiVirusScan', scope: 'Quick' });
		const [full] = await run(emu, {
			resource: 'machine',
			operation: 'runAntivirusScan',
			machineId: byId(String(machine(4).id)),
			scanType: 'Full',
		});
		expect(full.json.scope).toBe('Full');

		const machines = storeOf(emu).machines as IDataObject[];
		let linux = machines.find((m) => !String(m.osPlatform).startsWith('Windows'));
		if (!linux) linux = storeOf(emu).addMachine({ osPlatform: 'Linux' });
		const error = await runError(emu, { resource: 'machine', operation: 'runAntivirusScan', machineId: byId(String(linux!.id)) });
		expect(String(error.httpCode)).toBe('400');
		expect(`${error.message} ${error.description}`).toMatch(/not supported for OS platform/);
	});

	it('Stop and Quarantine File: the SHA1 is validated before sending and recorded on the action', async () => {
		const m = machine(5);
		const bad = await runError(emu, {
			resource: 'machine',
			operation: 'stopAndQuarantineFile',
			machineId: byId(String(m.id)),
			sha1: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
		});
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(bad.message).toContain('"SHA1"');
		expect(apiCalls(emu)).toHaveLength(0);

		const sha1 = '87662BC3D60E4200CEAF7AAE249D1C343F4B83C9';
		const [out] = await run(emu, { resource: 'machine', operation: 'stopAndQuarantineFile', machineId: byId(String(m.id)), sha1 });
		expect(out.json.type).toBe('StopAndQuarantineFile');
		expect((out.json.relatedFileInfo as IDataObject).fileIdentifier).toBe(sha1.toLowerCase());
	});

	it('an empty comment is refused before any request', async () => {
		const error = await runError(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(machine(6).id)), comment: ' ' });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('"Comment"');
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Collect Investigation Package without waiting returns the pending action', async () => {
		const [out] = await run(emu, {
			resource: 'machine',
			operation: 'collectInvestigationPackage',
			machineId: byId(String(machine(7).id)),
		});
		expect(out.json).toMatchObject({ type: 'CollectInvestigationPackage', status: 'Pending' });
		expect(out.binary).toBeUndefined();
	});

	it('Isolate by name resolves the machine first', async () => {
		const m = machine(8);
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byName(String(m.computerDnsName)) });
		expect(out.json.machineId).toBe(m.id);
	});

	it('By name: a name that looks like an OData function cannot resolve to something else', async () => {
		const ip = String(machine(9).lastIpAddress);
		const error = await runError(emu, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byName(`findbyip(ip='${ip}',timestamp=${new Date().toISOString()})`),
		});
		expect(error.message).toMatch(/No machine is named|not found/i);
		expect(apiCalls(emu, 'POST')).toHaveLength(0);
	});

	it('As an AI-agent tool, isolation is refused unless allowed; reads always work', async () => {
		const m = machine(9);
		const error = await runError(
			emu,
			{ resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)) },
			{ nodeType: 'n8n-nodes-microsoft-defender.microsoftDefenderTool' },
		);
		expect(error.message).toContain('AI agent');
		expect(apiCalls(emu)).toHaveLength(0);
		const [allowed] = await run(
			emu,
			{ resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), allowDestructiveForAgents: true },
			{ nodeType: 'n8n-nodes-microsoft-defender.microsoftDefenderTool' },
		);
		expect(allowed.json).toMatchObject({ type: 'Isolate', machineId: m.id });
		const [read] = await run(
			emu,
			{ resource: 'machine', operation: 'get', machineId: byId(String(m.id)) },
			{ nodeType: 'n8n-nodes-microsoft-defender.microsoftDefenderTool' },
		);
		expect(read.json.id).toBe(m.id);
	});
});

describe('machine: idempotency when the API returns the pending action (emulator variant)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({
			createStore: (tenantId: string, index: number) =>
				new DefenderStore({
					tenantId,
					seed: 7 + index,
					machines: 10,
					alerts: 5,
					incidents: 3,
					huntingRows: 5,
					actionTiming: LONG_TIMING,
					duplicateActionBehaviour: 'returnPending',
				}),
		});
	});
	afterAll(async () => await emu.close());

	it('a duplicate answered with the existing action is flagged alreadyPending', async () => {
		const m = windowsMachine(emu);
		const [first] = await run(emu, { resource: 'machine', operation: 'restrictAppExecution', machineId: byId(String(m.id)), comment: 'first' });
		expect(first.json.alreadyPending).toBeUndefined();
		emu.clearLog();
		const [second] = await run(emu, {
			resource: 'machine',
			operation: 'restrictAppExecution',
			machineId: byId(String(m.id)),
			comment: 'second',
			options: { reusePendingAction: false },
		});
		expect(apiCalls(emu, 'POST')).toHaveLength(1);
		expect(second.json.id).toBe(first.json.id);
		expect(second.json.alreadyPending).toBe(true);
	});
});

describe('machine: wait for completion (emulator)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({
			sizes: { machines: 30, alerts: 5, incidents: 3, huntingRows: 5 },
			actionTiming: { pendingMs: 150, inProgressMs: 150, outcome: 'Succeeded' },
		});
	});
	afterAll(async () => await emu.close());

	const wait = { waitForCompletion: true, pollInterval: 1, waitTimeout: 30 };

	it('reaches Succeeded and returns the final action', async () => {
		const m = windowsMachine(emu, 0);
		const [out] = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), ...wait });
		expect(out.json.status).toBe('Succeeded');
		expect(out.json.type).toBe('Isolate');
		expect(out.json.waitTimedOut).toBeUndefined();
	});

	it('reports Failed', async () => {
		const m = windowsMachine(emu, 1);
		storeOf(emu).setActionBehaviour(m.id, { outcome: 'Failed' });
		const [out] = await run(emu, { resource: 'machine', operation: 'runAntivirusScan', machineId: byId(String(m.id)), ...wait });
		expect(out.json.status).toBe('Failed');
	});

	it('reports Cancelled when the action is cancelled meanwhile', async () => {
		const m = windowsMachine(emu, 2);
		const store = storeOf(emu);
		store.setActionBehaviour(m.id, { pendingMs: 60_000 });
		const running = run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(m.id)), ...wait });
		let cancelled = false;
		for (let attempt = 0; attempt < 250 && !cancelled; attempt++) {
			await sleep(20);
			const pending = (store.actionsOfMachine(m.id) as Array<{ type: string }>).find((a) => a.type === 'Isolate');
			if (pending) cancelled = store.cancelAction(pending, 'analyst@contoso.com', 'changed my mind');
		}
		expect(cancelled).toBe(true);
		const [out] = await running;
		expect(out.json.status).toBe('Cancelled');
		expect(out.json.cancellationComment).toBe('changed my mind');
	});

	it('returns the last state flagged waitTimedOut when the timeout passes first', async () => {
		const m = windowsMachine(emu, 3);
		storeOf(emu).setActionBehaviour(m.id, { pendingMs: 3_600_000 });
		const [out] = await run(emu, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(String(m.id)),
			waitForCompletion: true,
			pollInterval: 1,
			waitTimeout: 1,
		});
		expect(out.json.status).toBe('Pending');
		expect(out.json.waitTimedOut).toBe(true);
	});

	it('Collect Investigation Package: waits, then streams the package into n8n binary data (n8n-core, in-memory mode)', async () => {
		const m = windowsMachine(emu, 4);
		emu.clearLog();
		const coreBinary = await startCoreBinary('default');
		try {
			const [[out]] = await runNodeWithCoreBinary(node, {
				parameters: {
					resource: 'machine',
					operation: 'collectInvestigationPackage',
					machineId: byId(String(m.id)),
					...wait,
					downloadPackage: true,
					binaryPropertyName: 'package',
				},
				credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
			});
			expect(out.json.status).toBe('Succeeded');
			expect(out.json.packageDownloaded).toBe(true);
			const binary = out.binary?.package;
			expect(binary).toBeDefined();
			expect(binary!.mimeType).toBe('application/zip');
			expect(binary!.fileName).toMatch(/^investigation-package-.*\.zip$/);
			expect((await readBinary(binary!)).subarray(0, 2).toString('latin1')).toBe('PK');
			expect(out.pairedItem).toEqual({ item: 0 });
			const download = emu.log.find((e) => e.path.includes('/_files/'));
			expect(download?.status).toBe(200);
		} finally {
			coreBinary.close();
		}
	});

	it('Collect Investigation Package: a failed collection returns its state without binary data', async () => {
		const m = windowsMachine(emu, 5);
		storeOf(emu).setActionBehaviour(m.id, { outcome: 'Failed' });
		const [out] = await run(emu, {
			resource: 'machine',
			operation: 'collectInvestigationPackage',
			machineId: byId(String(m.id)),
			...wait,
			downloadPackage: true,
		});
		expect(out.json.status).toBe('Failed');
		expect(out.json.packageDownloaded).toBe(false);
		expect(out.binary).toBeUndefined();
	});
});

describe('machine: a tenant without recent machines (emulator)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 0, alerts: 0, incidents: 0, huntingRows: 0 } });
	});
	afterAll(async () => await emu.close());

	it('Get Many returns no items instead of failing on Microsoft 404; list search is empty', async () => {
		expect(storeOf(emu).machines).toHaveLength(0);
		const out = await run(emu, { resource: 'machine', operation: 'getAll', returnAll: true });
		expect(out).toHaveLength(0);
		expect(apiCalls(emu, 'GET', '/api/machines')[0].status).toBe(404);
		const context = createLoadOptionsContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
		const found = await searchMachines.call(context, 'desk');
		expect(found.results).toHaveLength(0);
	});
});
