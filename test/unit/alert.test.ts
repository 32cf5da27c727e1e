import type { IDataObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { emulatorCredentials, runNode } from '../harness';
import * as shared from './node.helpers';
import type { RunOptions } from './node.helpers';
import { startEmulator } from '../emulator';
import type { EmulatorHandle } from '../emulator';
import { FIXTURE } from '../emulator/core/fixture';
import { DefenderStore } from '../emulator/data/store';

const TENANT_A = FIXTURE.tenants.A.id;
const SIMPLE_KEYS = [
	'id',
	'title',
	'severity',
	'status',
	'classification',
	'assignedTo',
	'incidentId',
	'machineId',
	'createdDateTime',
	'lastUpdateDateTime',
];

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({
		port: 0,
		httpsPort: 0,
		seed: 5,
		sizes: { machines: 12, alerts: 1200, incidents: 60 },
		quotas: false,
	});
});

afterAll(async () => {
	await emu.close();
});

beforeEach(() => emu.clearLog());

function rl(value: string, mode = 'id') {
	return { __rl: true, mode, value };
}

const run = (parameters: IDataObject, o: RunOptions = {}) =>
	shared.run(emu, { resource: 'alert', ...parameters }, o);

const runError = async (parameters: IDataObject, o: RunOptions = {}) =>
	(await shared.runError(emu, { resource: 'alert', ...parameters }, o)) as NodeApiError | NodeOperationError;

const apiCalls = (pathPart: string) => shared.apiCalls(emu, undefined, pathPart);

function store() {
	return emu.store(TENANT_A);
}

describe('Alert: Get Many (Graph)', () => {
	it('returns Limit (default 50) simplified alerts, each paired with the input item', async () => {
		const items = await run({ operation: 'getAll' });
		expect(items).toHaveLength(50);
		for (const item of items) {
			expect(Object.keys(item.json)).toEqual(SIMPLE_KEYS);
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		expect(typeof items[0].json.incidentId).toBe('string');
		expect(['informational', 'low', 'medium', 'high', 'unknown']).toContain(items[0].json.severity);
	});

	it('honours a small Limit', async () => {
		const items = await run({ operation: 'getAll', limit: 7 });
		expect(items).toHaveLength(7);
	});

	it('Return All reads every page (no record lost or repeated)', async () => {
		const items = await run({ operation: 'getAll', returnAll: true, simplify: false });
		const total = store().counts().alerts as number;
		expect(items).toHaveLength(total);
		expect(new Set(items.map((i) => i.json.id)).size).toBe(total);
		expect(apiCalls('/v1.0/security/alerts_v2').length).toBeGreaterThanOrEqual(2);
		// Raw Graph records keep their own fields.
		expect(items[0].json).toHaveProperty('createdDateTime');
		expect(items[0].json).toHaveProperty('evidence');
	});

	it('combines severity, status and date filters into one escaped $filter', async () => {
		const since = '2020-01-01T00:00:00Z';
		const items = await run({
			operation: 'getAll',
			returnAll: true,
			filters: { severity: ['high', 'medium'], status: ['new'], createdSince: since },
		});
		expect(items.length).toBeGreaterThan(0);
		for (const item of items) {
			expect(['high', 'medium']).toContain(item.json.severity);
			expect(item.json.status).toBe('new');
		}
		const q = apiCalls('/v1.0/security/alerts_v2')[0].query.$filter;
		expect(q).toBe(
			"(severity eq 'high' or severity eq 'medium') and status eq 'new' and createdDateTime ge 2020-01-01T00:00:00.000Z",
		);
	});

	it('a quote in a filter value cannot change the filter (round-trips literally)', async () => {
		const target = store().alerts[3];
		const tricky = "o'brien' or severity eq 'high@contoso.com";
		store().updateAlert(target.id, { assignedTo: tricky });

		const items = await run({ operation: 'getAll', returnAll: true, filters: { assignedTo: tricky } });
		expect(items.map((i) => i.json.id)).toEqual([target.id]);
		expect(items[0].json.assignedTo).toBe(tricky);
		const call = apiCalls('/v1.0/security/alerts_v2')[0];
		expect(call.status).toBe(200);
		expect(call.query.$filter).toBe("assignedTo eq 'o''brien'' or severity eq ''high@contoso.com'");
	});

	it('ANDs a custom OData filter (wrapped in parentheses)', async () => {
		const items = await run({
			operation: 'getAll',
			returnAll: true,
			filters: { status: ['new'], rawFilter: "severity eq 'high' or severity eq 'low'" },
		});
		for (const item of items) {
			expect(item.json.status).toBe('new');
			expect(['high', 'low']).toContain(item.json.severity);
		}
		expect(apiCalls('/v1.0/security/alerts_v2')[0].query.$filter).toBe(
			"status eq 'new' and (severity eq 'high' or severity eq 'low')",
		);
	});

	it('filters by incident ID through the incident (Graph has no incidentId filter on alerts)', async () => {
		const incident = store().incidents[0];
		const items = await run({ operation: 'getAll', returnAll: true, filters: { incidentId: String(incident.incidentId) } });
		expect(items.length).toBe(incident.alertIds.length);
		for (const item of items) expect(item.json.incidentId).toBe(String(incident.incidentId));
	});

	it('refuses Incident ID together with a custom filter on Graph, before any HTTP', async () => {
		const error = await runError({ operation: 'getAll', filters: { incidentId: '1', rawFilter: "status eq 'new'" } });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Incident ID/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('passes Microsoft 400 messages through (unsupported filter property)', async () => {
		const error = await runError({ operation: 'getAll', filters: { rawFilter: "investigationState eq 'Running'" } });
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('400');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/investigationState/);
	});

	it('refuses a bad date, a bad incident ID and an unbalanced custom filter before any HTTP', async () => {
		const bad = [
			[{ createdSince: 'yesterday' }, /Created Since/],
			[{ updatedSince: "2024-01-01' or 1 eq 1" }, /Updated Since/],
			[{ incidentId: '12a' }, /Incident ID/],
			[{ rawFilter: "status eq 'new" }, /Custom OData Filter/],
		] as const;
		for (const [filters, pattern] of bad) {
			const error = await runError({ operation: 'getAll', filters });
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.message).toMatch(pattern);
			expect(error.message).toMatch(/item 0/);
		}
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('continueOnFail with several items: each item gets its own records, paired to it', async () => {
		const out = await run(
			{ operation: 'getAll', limit: 2, filters: { createdSince: '={{ $json.since }}' } },
			{ items: [{ json: { since: '2020-01-01' } }, { json: { since: 'not a date' } }, { json: { since: '' } }], continueOnFail: true },
		);
		expect(out).toHaveLength(5);
		expect(out.slice(0, 2).map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
		expect(out[2].json.error).toMatch(/Created Since/);
		expect(out[2].pairedItem).toEqual({ item: 1 });
		expect(out.slice(3).map((o) => o.pairedItem)).toEqual([{ item: 2 }, { item: 2 }]);
	});

	it.each([
		['updatedDesc', 'lastUpdateDateTime', -1],
		['createdAsc', 'createdDateTime', 1],
	] as const)('Sort By %s is done by the node (no $orderby sent): with a Limit, the truly first alerts of the whole list', async (sort, field, dir) => {
		// seed 5: the emulator ignores $orderby and returns pages in no time order (strict).
		const items = await run({ operation: 'getAll', limit: 7, simplify: false, options: { sort } });
		const want = store()
			.alerts.map((a) => (field === 'createdDateTime' ? a.alertCreationTime : a.lastUpdateTime))
			.sort()
			.map((t) => t.slice(0, 23));
		if (dir < 0) want.reverse();
		expect(items.map((it) => String(it.json[field]).slice(0, 23))).toEqual(want.slice(0, 7));
		const calls = apiCalls('/v1.0/security/alerts_v2');
		expect(calls.length).toBeGreaterThan(1); // every page read to find the first 7
		expect(calls.every((c) => c.query.$orderby === undefined)).toBe(true);
	});

	it('a saved Sort By without a Limit still works (Return All, sorted)', async () => {
		const items = await run({ operation: 'getAll', returnAll: true, options: { sort: 'updatedAsc' } });
		const ts = items.map((it) => String(it.json.lastUpdateDateTime));
		expect(items).toHaveLength(store().alerts.length);
		expect(ts).toEqual([...ts].sort());
	});

	it('403 names the missing Graph permission (NOROLES app)', async () => {
		const error = await runError({ operation: 'getAll' }, { app: 'noroles' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('403');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/SecurityAlert\.Read\.All/);
	});
});

describe('Alert: Get Many (MDE API)', () => {
	it('returns the same simplified shape in Graph vocabulary', async () => {
		const items = await run({ operation: 'getAll', api: 'mde', limit: 5 });
		expect(items).toHaveLength(5);
		for (const item of items) {
			expect(Object.keys(item.json)).toEqual(SIMPLE_KEYS);
			expect(item.json.status).toMatch(/^[a-z]/);
			expect(item.json.machineId).toMatch(/^[0-9a-f]{40}$/);
		}
	});

	it('maps filters to MDE names and values, with evidence on request', async () => {
		const incident = store().incidents[1];
		const items = await run({
			operation: 'getAll',
			api: 'mde',
			returnAll: true,
			simplify: false,
			filters: { incidentId: String(incident.incidentId), severity: ['high', 'medium', 'low', 'informational', 'unknown'] },
			options: { includeEvidence: true, sort: 'createdAsc' },
		});
		expect(items.length).toBe(incident.alertIds.length);
		for (const item of items) {
			expect(item.json.incidentId).toBe(incident.incidentId);
			expect((item.json.evidence as unknown[]).length).toBeGreaterThan(0);
		}
		const call = apiCalls('/api/alerts')[0];
		expect(call.query.$filter).toBe(
			`(severity eq 'High' or severity eq 'Medium' or severity eq 'Low' or severity eq 'Informational' or severity eq 'UnSpecified') and incidentId eq ${incident.incidentId}`,
		);
		expect(call.query.$expand).toBe('evidence');
		// The MDE alerts API documents no $orderby: the node sorts, nothing is sent.
		expect(call.query.$orderby).toBeUndefined();
		const created = items.map((it) => String(it.json.alertCreationTime));
		expect(created).toEqual([...created].sort());
	});

	it('403 names the MDE permission', async () => {
		const error = await runError({ operation: 'getAll', api: 'mde' }, { app: 'noroles' });
		expect((error as NodeApiError).httpCode).toBe('403');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/Alert\.Read\.All/);
	});
});

describe('Alert: Get', () => {
	it('gets an alert by ID from Graph and from MDE (same ID in both)', async () => {
		const id = store().alerts[10].id as string;
		const [graph] = await run({ operation: 'get', alertId: rl(id) });
		expect(graph.json.id).toBe(id);
		expect(graph.json).toHaveProperty('lastUpdateDateTime');
		expect(graph.pairedItem).toEqual({ item: 0 });
		const [mde] = await run({ operation: 'get', api: 'mde', alertId: rl(id) });
		expect(mde.json.id).toBe(id);
		expect(mde.json).toHaveProperty('alertCreationTime');
	});

	it('accepts a portal URL', async () => {
		const id = store().alerts[11].id as string;
		const [item] = await run({
			operation: 'get',
			alertId: rl(`https://security.microsoft.com/alerts/${id}?tid=${TENANT_A}`, 'url'),
		});
		expect(item.json.id).toBe(id);
	});

	it('404 says which alert was not found', async () => {
		const error = await runError({ operation: 'get', alertId: rl('da000000000000000000_1') });
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('404');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/da000000000000000000_1/);
	});

	it('refuses an ID that is not an alert ID, before any HTTP', async () => {
		for (const bad of ['', 'da1/../../machines', "da1' or 1", 'a b']) {
			const error = await runError({ operation: 'get', alertId: rl(bad) });
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.message).toMatch(/Alert/);
		}
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('continueOnFail: a failing item becomes an error item paired with it', async () => {
		const good = store().alerts[12].id as string;
		const out = await run(
			{ operation: 'get', alertId: { __rl: true, mode: 'id', value: '={{ $json.id }}' } },
			{ items: [{ json: { id: good } }, { json: { id: 'da000000000000000000_2' } }, { json: { id: 'bad id' } }], continueOnFail: true },
		);
		expect(out).toHaveLength(3);
		expect(out[0].json.id).toBe(good);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.error).toBeDefined();
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect(out[2].json.error).toMatch(/not a valid alert ID/);
		expect(out[2].pairedItem).toEqual({ item: 2 });
	});
});

describe('Alert: Update', () => {
	it('updates status, classification, determination and owner on Graph', async () => {
		const id = store().alerts[20].id as string;
		const [item] = await run({
			operation: 'update',
			alertId: rl(id),
			updateFields: {
				status: 'inProgress',
				classification: 'truePositive',
				determination: 'compromisedAccount',
				assignedTo: 'soc@contoso.com',
			},
		});
		expect(item.json).toMatchObject({ id, status: 'inProgress', classification: 'truePositive', assignedTo: 'soc@contoso.com' });
		expect(String(item.json.determination).toLowerCase()).toMatch(/compromised/);
	});

	it('maps the one value list to the MDE names (PascalCase, alerts.md determinations)', async () => {
		const id = store().alerts[21].id as string;
		const [item] = await run({
			operation: 'update',
			api: 'mde',
			alertId: rl(id),
			updateFields: { status: 'resolved', classification: 'falsePositive', determination: 'notMalicious' },
		});
		expect(item.json).toMatchObject({ id, status: 'Resolved', classification: 'FalsePositive' });
		expect(['Clean', 'NotMalicious']).toContain(item.json.determination);
	});

	it('refuses an empty update before any HTTP', async () => {
		const error = await runError({ operation: 'update', alertId: rl(store().alerts[22].id as string), updateFields: {} });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Update Fields/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('403 for a read-only app names the write permission', async () => {
		const id = store().alerts[23].id as string;
		const graph = await runError({ operation: 'update', alertId: rl(id), updateFields: { status: 'resolved' } }, { app: 'readonly' });
		expect((graph as NodeApiError).httpCode).toBe('403');
		expect(`${graph.message} ${graph.description ?? ''}`).toMatch(/SecurityAlert\.ReadWrite\.All/);
		const mde = await runError({ operation: 'update', api: 'mde', alertId: rl(id), updateFields: { status: 'resolved' } }, { app: 'readonly' });
		expect((mde as NodeApiError).httpCode).toBe('403');
		expect(`${mde.message} ${mde.description ?? ''}`).toMatch(/Alert\.ReadWrite\.All/);
	});

	it('404 for an unknown alert', async () => {
		const error = await runError({ operation: 'update', api: 'mde', alertId: rl('da000000000000000000_3'), updateFields: { status: 'resolved' } });
		expect((error as NodeApiError).httpCode).toBe('404');
	});

	it('400: a value Microsoft refuses (typed as an expression) comes back with its message', async () => {
		const id = store().alerts[24].id as string;
		const graph = await runError({ operation: 'update', alertId: rl(id), updateFields: { status: '={{ "closedForGood" }}' } });
		expect((graph as NodeApiError).httpCode).toBe('400');
		expect(`${graph.message} ${graph.description ?? ''}`).toMatch(/closedForGood/);
		const mde = await runError({ operation: 'update', api: 'mde', alertId: rl(id), updateFields: { status: '={{ "closedForGood" }}' } });
		expect((mde as NodeApiError).httpCode).toBe('400');
		expect(`${mde.message} ${mde.description ?? ''}`).toMatch(/ClosedForGood/);
	});

	it('continueOnFail: each item is updated or reported on its own', async () => {
		const a = store().alerts[25].id as string;
		const b = store().alerts[26].id as string;
		const out = await run(
			{ operation: 'update', alertId: { __rl: true, mode: 'id', value: '={{ $json.id }}' }, updateFields: { status: 'inProgress' } },
			{ items: [{ json: { id: a } }, { json: { id: 'da000000000000000000_5' } }, { json: { id: b } }], continueOnFail: true },
		);
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.status).toBe('inProgress');
		expect(out[1].json.error).toBeDefined();
		expect(out[2].json.status).toBe('inProgress');
	});
});

describe('Alert: Add Comment', () => {
	it('adds a comment through Graph (POST comments)', async () => {
		const id = store().alerts[30].id as string;
		const [item] = await run({ operation: 'addComment', alertId: rl(id), comment: "Isolated by n8n, it's fine" });
		expect(item.json.alertId).toBe(id);
		const comments = item.json.comments as IDataObject[];
		expect(comments.map((c) => c.comment)).toContain("Isolated by n8n, it's fine");
		expect(apiCalls(`/alerts_v2/${id}/comments`)[0].method).toBe('POST');
	});

	it('adds a comment through MDE (PATCH with comment)', async () => {
		const id = store().alerts[31].id as string;
		const [item] = await run({ operation: 'addComment', api: 'mde', alertId: rl(id), comment: 'Triaged' });
		expect((item.json.comments as IDataObject[]).map((c) => c.comment)).toContain('Triaged');
		expect(apiCalls(`/api/alerts/${id}`)[0].method).toBe('PATCH');
	});

	it('continueOnFail: a missing alert yields an error item, the others their comments', async () => {
		const good = store().alerts[34].id as string;
		const out = await run(
			{ operation: 'addComment', alertId: { __rl: true, mode: 'id', value: '={{ $json.id }}' }, comment: 'batch' },
			{ items: [{ json: { id: 'da000000000000000000_6' } }, { json: { id: good } }], continueOnFail: true },
		);
		expect(out).toHaveLength(2);
		expect(out[0].json.error).toBeDefined();
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.alertId).toBe(good);
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});

	it('refuses an empty comment before any HTTP', async () => {
		const error = await runError({ operation: 'addComment', alertId: rl(store().alerts[32].id as string), comment: '  ' });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Comment/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('403 for a read-only app, 404 for an unknown alert', async () => {
		const id = store().alerts[33].id as string;
		const forbidden = await runError({ operation: 'addComment', alertId: rl(id), comment: 'x' }, { app: 'readonly' });
		expect((forbidden as NodeApiError).httpCode).toBe('403');
		const missing = await runError({ operation: 'addComment', alertId: rl('da000000000000000000_4'), comment: 'x' });
		expect((missing as NodeApiError).httpCode).toBe('404');
	});
});

describe('Alert as an AI-agent tool', () => {
	const tool = 'n8n-nodes-microsoft-defender.microsoftDefenderTool';

	it('reads freely but updates only when the node allows destructive actions', async () => {
		const credentials = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		const read = await runNode(new MicrosoftDefender(), {
			parameters: { resource: 'alert', operation: 'getAll', limit: 2 },
			credentials,
			nodeType: tool,
		});
		expect(read[0]).toHaveLength(2);

		const id = store().alerts[40].id as string;
		const update = { resource: 'alert', operation: 'update', alertId: rl(id), updateFields: { status: 'resolved' } };
		emu.clearLog();
		await expect(runNode(new MicrosoftDefender(), { parameters: update, credentials, nodeType: tool })).rejects.toThrow(
			/AI agent/,
		);
		expect(apiCalls('/')).toHaveLength(0);
		const allowed = await runNode(new MicrosoftDefender(), {
			parameters: { ...update, allowDestructiveForAgents: true },
			credentials,
			nodeType: tool,
		});
		expect(allowed[0][0].json.status).toBe('resolved');
	});
});

describe('Alert: Get Many (MDE API) paging beyond one page of 10,000', () => {
	let big: EmulatorHandle;

	beforeAll(async () => {
		big = await startEmulator({ port: 0, httpsPort: 0, seed: 11, sizes: { machines: 20, alerts: 10050, incidents: 3000 }, quotas: false });
	});

	afterAll(async () => {
		await big.close();
	});

	it('Return All pages with $top/$skip and returns every alert once', async () => {
		const out = await runNode(new MicrosoftDefender(), {
			parameters: { resource: 'alert', operation: 'getAll', api: 'mde', returnAll: true },
			credentials: emulatorCredentials(big, { app: 'full', tenant: 'A' }),
		});
		const total = big.store(TENANT_A).counts().alerts as number;
		expect(total).toBeGreaterThan(10000);
		expect(out[0]).toHaveLength(total);
		expect(new Set(out[0].map((i) => i.json.id)).size).toBe(total);
		const calls = big.log.filter((e) => e.path === '/api/alerts');
		expect(calls.length).toBeGreaterThanOrEqual(2);
		for (const c of calls) expect(Number(c.query.$top)).toBeLessThanOrEqual(10000);
	});
});

describe('Alert: Get Many (Graph) when alerts_v2 sends no nextLink (observed behaviour)', () => {
	let quiet: EmulatorHandle;

	beforeAll(async () => {
		quiet = await startEmulator({
			port: 0,
			httpsPort: 0,
			quotas: false,
			createStore: (tenantId, index) =>
				new DefenderStore({ tenantId, seed: 21 + index, machines: 10, alerts: 2300, incidents: 100, graphAlertsNextLink: false }),
		});
	});

	afterAll(async () => {
		await quiet.close();
	});

	it('Return All still reads every alert exactly once', async () => {
		const out = await runNode(new MicrosoftDefender(), {
			parameters: { resource: 'alert', operation: 'getAll', returnAll: true },
			credentials: emulatorCredentials(quiet, { app: 'full', tenant: 'A' }),
		});
		const total = quiet.store(TENANT_A).counts().alerts as number;
		expect(total).toBeGreaterThan(2000);
		expect(out[0]).toHaveLength(total);
		expect(new Set(out[0].map((i) => i.json.id)).size).toBe(total);
	});

	it('Limit 1500 stops after the second page', async () => {
		const out = await runNode(new MicrosoftDefender(), {
			parameters: { resource: 'alert', operation: 'getAll', limit: 1500 },
			credentials: emulatorCredentials(quiet, { app: 'full', tenant: 'A' }),
		});
		expect(out[0]).toHaveLength(1500);
		expect(new Set(out[0].map((i) => i.json.id)).size).toBe(1500);
	});
});
