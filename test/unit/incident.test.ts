import type { IDataObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { searchIncidents } from '../../nodes/MicrosoftDefender/methods/listSearch/incidents';
import { searchAlerts } from '../../nodes/MicrosoftDefender/methods/listSearch/alerts';
import { transportTuning } from '../../nodes/MicrosoftDefender/transport';
import { createLoadOptionsContext, emulatorCredentials } from '../harness';
import * as shared from './node.helpers';
import type { RunOptions } from './node.helpers';
import { startEmulator } from '../emulator';
import type { EmulatorHandle } from '../emulator';
import { FIXTURE } from '../emulator/core/fixture';

const TENANT_A = FIXTURE.tenants.A.id;
const SIMPLE_KEYS = [
	'id',
	'displayName',
	'severity',
	'status',
	'classification',
	'determination',
	'assignedTo',
	'tags',
	'createdDateTime',
	'lastUpdateDateTime',
];

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({
		port: 0,
		httpsPort: 0,
		seed: 9,
		sizes: { machines: 8, alerts: 300, incidents: 130 },
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
	shared.run(emu, { resource: 'incident', ...parameters }, o);

const runError = async (parameters: IDataObject, o: RunOptions = {}) =>
	(await shared.runError(emu, { resource: 'incident', ...parameters }, o)) as NodeApiError | NodeOperationError;

const apiCalls = (pathPart: string) => shared.apiCalls(emu, undefined, pathPart);

function store() {
	return emu.store(TENANT_A);
}

function someIncidentId(n: number): string {
	return String(store().incidents[n].incidentId);
}

describe('Incident: Get Many', () => {
	it('returns Limit (default 50) simplified incidents paired with the item', async () => {
		const items = await run({ operation: 'getAll' });
		expect(items).toHaveLength(50);
		for (const item of items) {
			expect(Object.keys(item.json)).toEqual(SIMPLE_KEYS);
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json.id).toMatch(/^\d+$/);
		}
	});

	it('Return All follows nextLink across pages of 50 without loss or repeats', async () => {
		const items = await run({ operation: 'getAll', returnAll: true });
		const total = store().counts().incidents as number;
		expect(total).toBeGreaterThan(100);
		expect(items).toHaveLength(total);
		expect(new Set(items.map((i) => i.json.id)).size).toBe(total);
		const calls = apiCalls('/v1.0/security/incidents');
		expect(calls.length).toBeGreaterThanOrEqual(3);
		for (const c of calls) expect(Number(c.query.$top ?? 50)).toBeLessThanOrEqual(50);
	});

	it('Limit above one page (60) reads two pages and stops', async () => {
		const items = await run({ operation: 'getAll', limit: 60 });
		expect(items).toHaveLength(60);
	});

	it('filters by status, severity, classification and dates; includes simplified alerts', async () => {
		const items = await run({
			operation: 'getAll',
			returnAll: true,
			includeAlerts: true,
			filters: {
				status: ['active', 'inProgress'],
				severity: ['high', 'medium', 'low', 'informational'],
				createdSince: '2000-01-01',
				updatedSince: '2000-01-01T00:00:00',
			},
		});
		expect(items.length).toBeGreaterThan(0);
		for (const item of items) {
			expect(['active', 'inProgress']).toContain(item.json.status);
			expect(Array.isArray(item.json.alerts)).toBe(true);
		}
		const call = apiCalls('/v1.0/security/incidents')[0];
		expect(call.query.$filter).toBe(
			"(status eq 'active' or status eq 'inProgress') and (severity eq 'high' or severity eq 'medium' or severity eq 'low' or severity eq 'informational') and createdDateTime ge 2000-01-01T00:00:00.000Z and lastUpdateDateTime ge 2000-01-01T00:00:00.000Z",
		);
		expect(call.query.$expand).toBe('alerts');
	});

	it('falls back to per-incident reads when Graph fails $expand=alerts with filters (5xx)', async () => {
		const previous = transportTuning.baseBackoffMs;
		transportTuning.baseBackoffMs = 5;
		try {
			emu.faults.next(2, 500, '/v1.0/security/incidents');
			const items = await run({
				operation: 'getAll',
				limit: 3,
				includeAlerts: true,
				filters: { severity: ['high', 'medium', 'low', 'informational'] },
				requestOptions: { maxRetries: 1 },
			});
			expect(items).toHaveLength(3);
			for (const item of items) expect((item.json.alerts as unknown[]).length).toBeGreaterThan(0);
			const calls = apiCalls('/v1.0/security/incidents');
			expect(calls.filter((c) => c.status === 500)).toHaveLength(2);
			// One read per incident (each may cost a second call when the emulator refuses Get incident's $expand).
			expect(new Set(calls.filter((c) => /incidents\/\d+$/.test(c.path)).map((c) => c.path)).size).toBe(3);
		} finally {
			transportTuning.baseBackoffMs = previous;
			emu.faults.clear();
		}
	});

	it('a 5xx without Include Alerts is not retried another way', async () => {
		const previous = transportTuning.baseBackoffMs;
		transportTuning.baseBackoffMs = 5;
		try {
			emu.faults.next(2, 500, '/v1.0/security/incidents');
			const error = await runError({ operation: 'getAll', limit: 3, requestOptions: { maxRetries: 1 } });
			expect((error as NodeApiError).httpCode).toBe('500');
		} finally {
			transportTuning.baseBackoffMs = previous;
			emu.faults.clear();
		}
	});

	it('a quote in Assigned To round-trips literally', async () => {
		const target = store().incidents[5];
		const tricky = "d'arcy') or (status eq 'active";
		store().updateIncident(target.incidentId, { assignedTo: tricky });
		const items = await run({ operation: 'getAll', returnAll: true, filters: { assignedTo: tricky } });
		expect(items.map((i) => i.json.id)).toEqual([String(target.incidentId)]);
		expect(apiCalls('/v1.0/security/incidents')[0].status).toBe(200);
	});

	it('400 from Microsoft is passed through (unsupported filter property)', async () => {
		const error = await runError({ operation: 'getAll', filters: { rawFilter: "incidentWebUrl eq 'x'" } });
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('400');
	});

	it('refuses a bad date before any HTTP', async () => {
		const error = await runError({ operation: 'getAll', filters: { createdSince: 'last tuesday' } });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Created Since.*item 0/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('continueOnFail: a 403 on one item is reported, paired with it', async () => {
		const out = await run({ operation: 'getAll', limit: 1 }, { app: 'noroles', items: [{ json: {} }, { json: {} }], continueOnFail: true });
		expect(out).toHaveLength(2);
		expect(out[0].json.error).toBeDefined();
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});

	it('403 names the permission', async () => {
		const error = await runError({ operation: 'getAll' }, { app: 'noroles' });
		expect((error as NodeApiError).httpCode).toBe('403');
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/SecurityIncident\.Read\.All/);
	});
});

describe('Incident: Get', () => {
	it('gets an incident with its alerts', async () => {
		const id = someIncidentId(3);
		const [item] = await run({ operation: 'get', incidentId: rl(id) });
		expect(item.json.id).toBe(id);
		expect(Array.isArray(item.json.alerts)).toBe(true);
		expect((item.json.alerts as unknown[]).length).toBeGreaterThan(0);
		expect(apiCalls(`/incidents/${id}`)[0].query.$expand).toBe('alerts');
	});

	it('asks Graph for evolvable enum members (Prefer: include-unknown-enum-members), so awaitingAction is not unknownFutureValue', async () => {
		const target = store().incidents[7];
		store().updateIncident(target.incidentId, { status: 'AwaitingAction' });
		const [item] = await run({ operation: 'get', includeAlerts: false, incidentId: rl(String(target.incidentId)) });
		expect(item.json.status).toBe('awaitingAction');
	});

	it('without alerts, and from a portal URL', async () => {
		const id = someIncidentId(4);
		const [item] = await run({
			operation: 'get',
			includeAlerts: false,
			incidentId: rl(`https://security.microsoft.com/incidents/${id}?tid=${TENANT_A}`, 'url'),
		});
		expect(item.json.id).toBe(id);
		expect(item.json.alerts).toBeUndefined();
	});

	it('Follow Merges returns the incident a redirected one was merged into', async () => {
		const from = store().incidents[30];
		const into = store().incidents[31];
		from.redirectIncidentId = into.incidentId;
		store().updateIncident(from.incidentId, { status: 'Redirected' });
		const [plain] = await run({ operation: 'get', includeAlerts: false, incidentId: rl(String(from.incidentId)) });
		expect(plain.json).toMatchObject({ id: String(from.incidentId), status: 'redirected', redirectIncidentId: String(into.incidentId) });
		const [followed] = await run({
			operation: 'get',
			includeAlerts: false,
			followRedirects: true,
			incidentId: rl(String(from.incidentId)),
		});
		expect(followed.json).toMatchObject({ id: String(into.incidentId), redirectedFrom: String(from.incidentId) });
	});

	it('404 names the incident; a non-numeric ID is refused before HTTP', async () => {
		const missing = await runError({ operation: 'get', incidentId: rl('999999999') });
		expect((missing as NodeApiError).httpCode).toBe('404');
		expect(`${missing.message} ${missing.description ?? ''}`).toMatch(/999999999/);
		emu.clearLog();
		const bad = await runError({ operation: 'get', incidentId: rl('12; DROP') });
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(bad.message).toMatch(/Incident/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('continueOnFail keeps going and pairs the error item', async () => {
		const good = someIncidentId(6);
		const out = await run(
			{ operation: 'get', incidentId: { __rl: true, mode: 'id', value: '={{ $json.id }}' } },
			{ items: [{ json: { id: '999999998' } }, { json: { id: good } }], continueOnFail: true },
		);
		expect(out).toHaveLength(2);
		expect(out[0].json.error).toBeDefined();
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.id).toBe(good);
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});
});

describe('Incident: Update', () => {
	it('updates status, owner, classification, determination', async () => {
		const id = someIncidentId(10);
		const [item] = await run({
			operation: 'update',
			incidentId: rl(id),
			updateFields: {
				status: 'resolved',
				assignedTo: 'tier2@contoso.com',
				classification: 'truePositive',
				determination: 'multiStagedAttack',
			},
		});
		expect(item.json).toMatchObject({
			id,
			status: 'resolved',
			assignedTo: 'tier2@contoso.com',
			classification: 'truePositive',
			determination: 'multiStagedAttack',
		});
		const patch = apiCalls(`/incidents/${id}`).find((c) => c.method === 'PATCH');
		expect(patch?.status).toBe(200);
	});

	it('a status Update incident does not document is refused before sending, with the values it takes', async () => {
		const before = emu.log.length;
		const error = await runError({ operation: 'update', incidentId: rl(someIncidentId(14)), updateFields: { status: '={{ "closed" }}' } });
		expect(`${error.message} ${error.description ?? ''}`).toMatch(/closed[\s\S]*active, resolved or redirected/);
		expect(emu.log.slice(before).filter((e) => e.method === 'PATCH')).toHaveLength(0);
	});

	it('continueOnFail: items are updated or reported one by one', async () => {
		const good = someIncidentId(15);
		const out = await run(
			{ operation: 'update', incidentId: { __rl: true, mode: 'id', value: '={{ $json.id }}' }, updateFields: { assignedTo: 'x@contoso.com' } },
			{ items: [{ json: { id: 'abc' } }, { json: { id: good } }], continueOnFail: true },
		);
		expect(out[0].json.error).toMatch(/not a valid incident ID/);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.assignedTo).toBe('x@contoso.com');
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});

	it.each(['inProgress', 'awaitingAction'])('%s (not a PATCH value in Update incident) is refused with the reason', async (status) => {
		const error = await runError({ operation: 'update', incidentId: rl(someIncidentId(11)), updateFields: { status } });
		expect(`${error.message} ${error.description ?? ''}`).toMatch(new RegExp(`${status}[\\s\\S]*Microsoft 365 Defender experts`));
	});

	it('the strict emulator itself refuses the undocumented PATCH statuses (so the check above cannot hide a wrong contract)', async () => {
		const { getToken, request } = await import('../emulator/core/testkit');
		const token = await getToken(emu.httpUrl, { scope: 'https://graph.microsoft.com/.default' });
		const patch = (status: string) =>
			request(`${emu.httpUrl}/v1.0/security/incidents/${someIncidentId(11)}`, {
				method: 'PATCH',
				headers: { authorization: `Bearer ${token}` },
				body: { status },
			});
		for (const status of ['inProgress', 'awaitingAction']) expect((await patch(status)).status).toBe(400);
		expect((await patch('active')).status).toBe(200);
	});

	it('adds tags to the existing ones by default, or replaces them', async () => {
		const id = someIncidentId(12);
		store().updateIncident(Number(id), { tags: ['existing'] });
		const [added] = await run({ operation: 'update', incidentId: rl(id), updateFields: { tags: 'n8n, ransomware,n8n' } });
		expect(added.json.customTags).toEqual(['existing', 'n8n', 'ransomware']);
		const [replaced] = await run({
			operation: 'update',
			incidentId: rl(id),
			updateFields: { tags: 'only', tagsMode: 'replace' },
		});
		expect(replaced.json.customTags).toEqual(['only']);
	});

	it('refuses an empty update before HTTP; 403 for read-only; 404 for unknown', async () => {
		const id = someIncidentId(13);
		const empty = await runError({ operation: 'update', incidentId: rl(id), updateFields: {} });
		expect(empty).toBeInstanceOf(NodeOperationError);
		expect(apiCalls('/')).toHaveLength(0);
		const forbidden = await runError({ operation: 'update', incidentId: rl(id), updateFields: { status: 'resolved' } }, { app: 'readonly' });
		expect((forbidden as NodeApiError).httpCode).toBe('403');
		expect(`${forbidden.message} ${forbidden.description ?? ''}`).toMatch(/SecurityIncident\.ReadWrite\.All/);
		const missing = await runError({ operation: 'update', incidentId: rl('999999997'), updateFields: { status: 'resolved' } });
		expect((missing as NodeApiError).httpCode).toBe('404');
	});
});

describe('Incident: Add Comment', () => {
	it('posts the comment and returns the comment list', async () => {
		const id = someIncidentId(20);
		const [item] = await run({ operation: 'addComment', incidentId: rl(id), comment: 'Contained by n8n' });
		expect(item.json.incidentId).toBe(id);
		expect((item.json.comments as IDataObject[]).map((c) => c.comment)).toContain('Contained by n8n');
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('continueOnFail: a missing incident yields an error item paired with it', async () => {
		const good = someIncidentId(22);
		const out = await run(
			{ operation: 'addComment', incidentId: { __rl: true, mode: 'id', value: '={{ $json.id }}' }, comment: 'batch' },
			{ items: [{ json: { id: good } }, { json: { id: '999999995' } }], continueOnFail: true },
		);
		expect(out[0].json.incidentId).toBe(good);
		expect(out[1].json.error).toBeDefined();
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});

	it('403 for read-only, 404 for unknown, empty comment refused', async () => {
		const id = someIncidentId(21);
		const forbidden = await runError({ operation: 'addComment', incidentId: rl(id), comment: 'x' }, { app: 'readonly' });
		expect((forbidden as NodeApiError).httpCode).toBe('403');
		const missing = await runError({ operation: 'addComment', incidentId: rl('999999996'), comment: 'x' });
		expect((missing as NodeApiError).httpCode).toBe('404');
		const empty = await runError({ operation: 'addComment', incidentId: rl(id), comment: '' });
		expect(empty).toBeInstanceOf(NodeOperationError);
	});
});

describe('list search', () => {
	it('searchIncidents: recently updated first (sorted by the node, no $orderby), 50 per page, filters by name or ID', async () => {
		const ctx = createLoadOptionsContext({
			parameters: { resource: 'incident', operation: 'get' },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		});
		const first = await searchIncidents.call(ctx);
		expect(first.results.length).toBe(50);
		expect(first.paginationToken).toBeDefined();
		const second = await searchIncidents.call(ctx, undefined, first.paginationToken as string);
		expect(second.results.length).toBeGreaterThan(0);
		const ids = new Set([...first.results, ...second.results].map((r) => r.value));
		expect(ids.size).toBe(first.results.length + second.results.length);
		const updated = [...first.results, ...second.results].map((r) => emu.store(FIXTURE.tenants.A.id).getIncident(String(r.value))!.lastUpdateTime);
		expect(updated).toEqual([...updated].sort().reverse());
		expect(emu.log.filter((e) => e.path === '/v1.0/security/incidents').every((e) => (e.query as Record<string, string>).$orderby === undefined)).toBe(true);
		const target = first.results[0];
		const filtered = await searchIncidents.call(ctx, String(target.value));
		expect(filtered.results.map((r) => r.value)).toContain(target.value);
	});

	it('searchAlerts lists recent alerts from the chosen API', async () => {
		for (const api of ['graph', 'mde']) {
			const ctx = createLoadOptionsContext({
				parameters: { resource: 'alert', operation: 'get', api },
				credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
			});
			emu.clearLog();
			const res = await searchAlerts.call(ctx);
			expect(res.results.length).toBeGreaterThan(0);
			const updated = res.results.map((r) => emu.store(FIXTURE.tenants.A.id).getAlert(String(r.value))!.lastUpdateTime);
			expect(updated).toEqual([...updated].sort().reverse());
			expect(emu.log.every((e) => (e.query as Record<string, string> | undefined)?.$orderby === undefined)).toBe(true);
			expect(res.results.length).toBeLessThanOrEqual(100);
			expect(res.results[0].value).toMatch(/^[A-Za-z0-9_.-]+$/);
			const one = await searchAlerts.call(ctx, String(res.results[0].value));
			expect(one.results.map((r) => r.value)).toContain(res.results[0].value);
		}
	});
});
