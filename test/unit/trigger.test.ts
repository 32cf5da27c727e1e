import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { FIXTURE } from '../emulator/core/fixture';
import { emulatorCredentials, runPoll } from '../harness';
import { shiftClock, type ShiftedClock } from '../harness/clock';

/**
 * The trigger against the emulator over real sockets. State goes through JSON between polls and a
 * fresh node instance is used every time, like n8n after a restart. The emulator plays its strict
 * `$orderby` variant (ignored, pages shuffled). The process clock is shifted to each poll's
 * instant (`at`): every test lives hours after the previous one, so they do not see each other.
 */

const TENANT = FIXTURE.tenants.A.id;
let emu: EmulatorHandle;
let credentials: ReturnType<typeof emulatorCredentials>;
let clock: ShiftedClock;
const START = Date.now();

beforeAll(async () => {
	clock = shiftClock();
	emu = await startEmulator({ port: 0, httpsPort: 0, sizes: { alerts: 2000, incidents: 300, machines: 20 }, quotas: false, variants: { undocumentedOrderBy: 'shuffled' } });
	credentials = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
	store(); // generated now, before the clock moves: its history ends at START
});
afterAll(async () => {
	await emu?.close();
	clock.restore();
});

const store = () => emu.store(TENANT);
const iso = (ms: number) => new Date(ms).toISOString();

/** Poll at `atMs` (the process clock is moved there first). */
async function poll(
	parameters: IDataObject,
	saved: string,
	atMs: number,
	mode: 'trigger' | 'manual' = 'trigger',
): Promise<{ items: INodeExecutionData[]; saved: string }> {
	clock.set(atMs);
	const staticData = JSON.parse(saved) as IDataObject;
	const out = await runPoll(new MicrosoftDefenderTrigger(), { parameters, credentials, staticData, mode });
	return { items: out ? out[0] : [], saved: JSON.stringify(staticData) };
}

const graphCalls = (path: string) => emu.log.filter((e) => e.path === path);
const noRetry = { requestOptions: { maxRetries: 0 } };
let faultRun = 0;

describe('Microsoft Defender Trigger: description', () => {
	it('is a polling trigger without inputs, not an AI tool, with the shared credential and icons', () => {
		const d = new MicrosoftDefenderTrigger().description;
		expect(d.name).toBe('microsoftDefenderTrigger');
		expect(d.displayName).toContain('Trigger');
		expect(d.polling).toBe(true);
		expect(d.inputs).toEqual([]);
		expect(d.usableAsTool).toBeUndefined();
		expect(d.credentials).toEqual([
			{ name: 'microsoftDefenderEntraAppApi', required: true, displayOptions: { show: { authentication: ['entraApp'] } } },
			{ name: 'microsoftDefenderDelegatedOAuth2Api', required: true, displayOptions: { show: { authentication: ['delegatedOAuth2'] } } },
		]);
		expect(d.properties[0]).toMatchObject({ name: 'authentication', default: 'entraApp' });
		expect(d.icon).toEqual({ light: 'file:defender.svg', dark: 'file:defender.dark.svg' });
		expect(d.group).toEqual(['trigger']);
	});
});

const HOUR = 3_600_000;
const MIN = 60_000;

describe('Microsoft Defender Trigger: alerts', () => {
	it('activation emits nothing, then new alerts once each, then updates only for "Updated Alert"', async () => {
		const t0 = START + 1 * HOUR;
		const p = { event: 'newOrUpdatedAlert' };
		let s = (await poll(p, '{}', t0 - MIN)).saved;
		expect(Object.keys(JSON.parse(s))).toEqual(['defenderPoll']);

		const added = [store().addAlert({ severity: 'High' }, iso(t0)), store().addAlert({}, iso(t0 + 1000))];
		let r = await poll(p, s, t0 + MIN);
		expect(r.items.map((i) => [i.json.id, i.json.triggerEvent])).toEqual(added.map((a) => [a.id, 'new']));
		// simplified by default
		expect(Object.keys(r.items[0].json).sort()).toEqual(
			['assignedTo', 'classification', 'createdDateTime', 'id', 'incidentId', 'lastUpdateDateTime', 'machineId', 'severity', 'status', 'title', 'triggerEvent'].sort(),
		);
		s = r.saved;
		r = await poll(p, s, t0 + 2 * MIN);
		expect(r.items).toHaveLength(0);
		s = r.saved;

		store().updateAlert(added[0].id, { status: 'InProgress' }, iso(t0 + 2 * MIN + 5000));
		const onlyNew = await poll({ event: 'newAlert' }, s, t0 + 3 * MIN);
		expect(onlyNew.items).toHaveLength(0);
		const onlyUpdated = await poll({ event: 'updatedAlert', simplify: false }, s, t0 + 3 * MIN);
		expect(onlyUpdated.items.map((i) => [i.json.id, i.json.status, i.json.triggerEvent])).toEqual([[added[0].id, 'inProgress', 'updated']]);
		expect(onlyUpdated.items[0].json.evidence).toBeDefined(); // raw Graph alert
	});

	it('alerts created between activation and the first poll are emitted (n8n 2.x polls after activation returns)', async () => {
		const t0 = START + 2 * HOUR;
		store().addAlert({ title: 'before activation' }, iso(t0 - 10 * MIN));
		const gap = store().addAlert({ title: 'in the gap' }, iso(t0 + 20_000));
		// The first poll runs 40 s after the user activated the workflow at t0.
		let r = await poll({ event: 'newAlert' }, '{}', t0 + 40_000);
		expect(r.items.map((i) => i.json.id)).toEqual([gap.id]);
		r = await poll({ event: 'newAlert' }, r.saved, t0 + 2 * MIN);
		expect(r.items).toHaveLength(0);
	});

	it.each([
		['429 exhausted', 429 as const],
		['500', 500 as const],
		['connection reset', 'reset' as const],
		['malformed body', 'malformed' as const],
	])('a failed poll (%s) throws, emits nothing and leaves the state as it was', async (_name, kind) => {
		const t0 = START + 3 * HOUR + faultRun++ * 5 * MIN;
		const p = { event: 'newAlert', ...noRetry };
		const s = (await poll(p, '{}', t0 - MIN)).saved;
		const a = store().addAlert({}, iso(t0));
		clock.set(t0 + MIN);
		const staticData = JSON.parse(s) as IDataObject;
		emu.faults.next(1, kind, 'alerts_v2');
		await expect(
			runPoll(new MicrosoftDefenderTrigger(), { parameters: p, credentials, staticData, mode: 'trigger' }),
		).rejects.toMatchObject({ name: expect.stringMatching(/NodeApiError|NodeOperationError/) });
		expect(JSON.stringify(staticData)).toBe(s);
		const r = await poll(p, s, t0 + MIN);
		expect(r.items.map((i) => i.json.id)).toContain(a.id);
	});

	it('transient 429 and 5xx are retried inside one poll (quota handling of the transport)', async () => {
		const t0 = START + 4 * HOUR;
		const p = { event: 'newAlert', requestOptions: { maxRetries: 3, maxRetryWaitSeconds: 1 } };
		const s = (await poll(p, '{}', t0 - MIN)).saved;
		const a = store().addAlert({}, iso(t0));
		emu.faults.next(1, 429, { path: 'alerts_v2', retryAfterSec: 0 });
		emu.faults.next(1, 503, 'alerts_v2');
		const r = await poll(p, s, t0 + MIN);
		expect(r.items.map((i) => i.json.id)).toEqual([a.id]);
	});

	it('manual mode returns a recent matching alert without $orderby and does not touch the state', async () => {
		const t0 = START + 5 * HOUR;
		const high = store().addAlert({ severity: 'High', title: 'newest high' }, iso(t0));
		store().addAlert({ severity: 'High', title: 'older high' }, iso(t0 - 30 * MIN));
		store().addAlert({ severity: 'Low' }, iso(t0 + 1000));
		const p = { event: 'newOrUpdatedAlert', filters: { minSeverity: 'high' } };
		emu.clearLog();
		const r = await poll(p, '{"untouched":true}', t0 + MIN, 'manual');
		expect(r.items).toHaveLength(1);
		expect(r.items[0].json.id).toBe(high.id);
		expect(r.saved).toBe('{"untouched":true}');
		expect(graphCalls('/v1.0/security/alerts_v2').every((e) => (e.query as Record<string, string>).$orderby === undefined)).toBe(true);
	});

	it('filters server-side on severity and status, in a closed window, without $orderby', async () => {
		const t0 = START + 6 * HOUR;
		const p = { event: 'newAlert', filters: { minSeverity: 'medium', alertStatus: ['new'] } };
		const s = (await poll(p, '{}', t0 - MIN)).saved;
		const keep = store().addAlert({ severity: 'Medium', status: 'New' }, iso(t0));
		store().addAlert({ severity: 'Low', status: 'New' }, iso(t0 + 1));
		store().addAlert({ severity: 'High', status: 'Resolved' }, iso(t0 + 2));
		emu.clearLog();
		const r = await poll(p, s, t0 + MIN);
		expect(r.items.map((i) => i.json.id)).toEqual([keep.id]);
		const q = graphCalls('/v1.0/security/alerts_v2')[0].query as Record<string, string>;
		expect(q.$filter).toContain("(severity eq 'medium' or severity eq 'high')");
		expect(q.$filter).toContain("status eq 'new'");
		expect(q.$filter).toMatch(/lastUpdateDateTime ge \S+ and lastUpdateDateTime lt \S+/);
		expect(q.$orderby).toBeUndefined();
	});

	it('backfill emits recent history on the first poll', async () => {
		const now = Date.now();
		const recent = store().alerts.filter((a: { lastUpdateTime: string }) => a.lastUpdateTime >= iso(now - HOUR) && a.lastUpdateTime <= iso(now - 10_000)).length;
		const r = await poll({ event: 'newOrUpdatedAlert', options: { backfillMinutes: 60 } }, '{}', now);
		expect(r.items.length).toBeGreaterThanOrEqual(recent);
		expect(r.items.length).toBeGreaterThan(0);
	});

	it('API calls per poll do not grow with the history or the overlap window', async () => {
		const t0 = START + 7 * HOUR;
		let s = (await poll({ event: 'newAlert' }, '{}', t0)).saved;
		let at = t0;
		for (const overlapMinutes of [1, 10, 120]) {
			// A shorter window lets one slice leave it: swept once (one extra request), then steady.
			emu.clearLog();
			s = (await poll({ event: 'newAlert', options: { overlapMinutes } }, s, (at += MIN))).saved;
			expect(graphCalls('/v1.0/security/alerts_v2').length).toBeLessThanOrEqual(2);
			emu.clearLog();
			s = (await poll({ event: 'newAlert', options: { overlapMinutes } }, s, (at += MIN))).saved;
			expect(graphCalls('/v1.0/security/alerts_v2').length).toBeLessThanOrEqual(2);
		}
	});
});

describe('Microsoft Defender Trigger: cap and tenants', () => {
	it('caps events per poll and delivers the rest on the next polls, each once, all "new", pages shuffled', async () => {
		const t0 = START + 8 * HOUR;
		const p = { event: 'newOrUpdatedAlert', options: { maxEventsPerPoll: 400 } };
		let s = (await poll(p, '{}', t0 - MIN)).saved;
		const added = store().addAlerts(1000, { at: iso(t0), spreadMs: 60_000 }) as Array<{ id: string }>;
		const got: string[] = [];
		const kinds = new Set<unknown>();
		for (let i = 0; i < 4; i++) {
			const r = await poll(p, s, t0 + (2 + i) * MIN);
			s = r.saved;
			expect(r.items.length).toBeLessThanOrEqual(400);
			for (const it of r.items) {
				got.push(String(it.json.id));
				kinds.add(it.json.triggerEvent);
			}
		}
		expect(got).toHaveLength(1000);
		expect(new Set(got)).toEqual(new Set(added.map((a) => a.id)));
		expect([...kinds]).toEqual(['new']);
	});

	it('keeps a separate cursor per tenant override (MSSP)', async () => {
		const tenantB = FIXTURE.tenants.B.id;
		const p = { event: 'newAlert', requestOptions: { tenantId: tenantB } };
		emu.clearLog();
		const r = await poll(p, '{}', START + 9 * HOUR);
		expect(Object.keys(JSON.parse(r.saved).defenderPoll)).toEqual([`alert@${tenantB}`]);
		expect(emu.log.filter((e) => e.path === '/v1.0/security/alerts_v2').every((e) => e.tenantId === tenantB)).toBe(true);
	});

	it('loads a state saved by the previous version (record-order cursor) and goes on without loss', async () => {
		const t0 = START + 10 * HOUR;
		const w = iso(t0 - MIN).replace(/\.(\d{3})Z$/, '.$10000Z');
		const v1 = { defenderPoll: { alert: { v: 1, floor: w, watermark: w, seenFrom: w, seen: {}, rescan: { from: w, skip: 3 } } } };
		const a = store().addAlert({}, iso(t0));
		const r = await poll({ event: 'newAlert' }, JSON.stringify(v1), t0 + MIN);
		expect(r.items.map((i) => i.json.id)).toEqual([a.id]);
		expect(JSON.parse(r.saved).defenderPoll.alert.v).toBe(2);
	});
});

describe('Microsoft Defender Trigger: incidents', () => {
	it('new incidents, updates, tag and assignee filters', async () => {
		const t0 = START + 11 * HOUR;
		const p = { event: 'newOrUpdatedIncident', filters: { tags: 'ransomware' } };
		let s = (await poll(p, '{}', t0 - MIN)).saved;
		const tagged = store().addIncident({ tags: ['Ransomware'] }, iso(t0));
		const plain = store().addIncident({}, iso(t0 + 1000));
		let r = await poll(p, s, t0 + MIN);
		expect(r.items.map((i) => [i.json.id, i.json.triggerEvent])).toEqual([[String(tagged.incidentId), 'new']]);
		s = r.saved;
		store().updateIncident(plain.incidentId, { tags: ['ransomware'] }, iso(t0 + 2 * MIN));
		store().updateIncident(tagged.incidentId, { status: 'Resolved' }, iso(t0 + 2 * MIN + 1000));
		r = await poll(p, s, t0 + 3 * MIN);
		// The plain incident matches the filter for the first time, created after activation → "new".
		expect(r.items.map((i) => [i.json.id, i.json.triggerEvent])).toEqual([
			[String(plain.incidentId), 'new'],
			[String(tagged.incidentId), 'updated'],
		]);
		const calls = graphCalls('/v1.0/security/incidents');
		expect(Number((calls[calls.length - 1].query as Record<string, string>).$top)).toBeLessThanOrEqual(50);
	});
});
