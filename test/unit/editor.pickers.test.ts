/**
 * The "From list" pickers as the editor shows them: one line per row, cut at the end when too long,
 * so what tells two rows apart must come first and stay short. Driven against the emulator.
 */
import { searchAlerts } from '../../nodes/MicrosoftDefender/methods/listSearch/alerts';
import { searchIncidents } from '../../nodes/MicrosoftDefender/methods/listSearch/incidents';
import { alertRow, incidentRow, shortTime } from '../../nodes/MicrosoftDefender/methods/listSearch/rows';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { FIXTURE } from '../emulator/core/fixture';
import { createLoadOptionsContext, emulatorCredentials } from '../harness';

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ sizes: { machines: 8, alerts: 120, incidents: 60 } });
});
afterAll(async () => {
	await emu.close();
});

const context = (parameters: Record<string, unknown>) =>
	createLoadOptionsContext({ parameters, credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });

describe('editor: alert picker rows', () => {
	it.each(['graph', 'mde'])('alerts sharing a title still read differently: device and time follow a short title (%s)', async (api) => {
		const { results } = await searchAlerts.call(context({ resource: 'alert', operation: 'get', api }));
		expect(results.length).toBeGreaterThan(20);
		const store = emu.store(FIXTURE.tenants.A.id);
		const titles = results.map((r) => store.getAlert(String(r.value))!.title);
		// The emulator's titles repeat, like a real tenant's (one detection on many machines).
		expect(new Set(titles).size).toBeLessThan(titles.length);
		expect(new Set(results.map((r) => r.name)).size).toBe(results.length);
		for (const r of results) {
			const alert = store.getAlert(String(r.value))!;
			const host = alert.computerDnsName.split('.')[0];
			expect(r.name).toContain(` · ${host} · `);
			expect(r.name).toMatch(/ · [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}( · |$)/);
			expect(r.name.length).toBeLessThanOrEqual(90);
		}
	});

	it('the search text also finds alerts by device name', async () => {
		const ctx = context({ resource: 'alert', operation: 'get', api: 'graph' });
		const { results } = await searchAlerts.call(ctx);
		const host = emu.store(FIXTURE.tenants.A.id).getAlert(String(results[0].value))!.computerDnsName.split('.')[0];
		const found = await searchAlerts.call(ctx, host.toUpperCase());
		expect(found.results.length).toBeGreaterThan(0);
		expect(found.results.every((r) => r.name.toLowerCase().includes(host.toLowerCase()))).toBe(true);
	});
});

describe('editor: incident picker rows', () => {
	it('start with what tells incidents apart (ID, severity, status), then the name', async () => {
		const { results } = await searchIncidents.call(context({ resource: 'incident', operation: 'get' }));
		expect(results.length).toBeGreaterThan(10);
		const store = emu.store(FIXTURE.tenants.A.id);
		for (const r of results) {
			const incident = store.getIncident(String(r.value))!;
			expect(r.name).toMatch(new RegExp(`^#${incident.incidentId} · (High|Medium|Low|Informational|Unknown) · [A-Z][A-Za-z ]+ · `));
			expect(r.name.endsWith(incident.incidentName) || r.name.endsWith('…')).toBe(true);
			expect(r.name.length).toBeLessThanOrEqual(90);
		}
	});
});

describe('editor: picker row text', () => {
	it('leads alert rows with the severity (the dropdown cuts the end of a row), then the title', async () => {
		const { results } = await searchAlerts.call(context({ resource: 'alert', operation: 'get', api: 'graph' }));
		const store = emu.store(FIXTURE.tenants.A.id);
		expect(results.length).toBeGreaterThan(0);
		for (const r of results) {
			const alert = store.getAlert(String(r.value))!;
			expect(r.name).toMatch(/^(High|Medium|Low|Informational|Unknown(?: Future Value)?) · /);
			expect(r.name.split(' · ')[1]).toEqual(alert.title.length <= 40 ? alert.title : expect.stringMatching(/…$/));
		}
	});

	it('shows the time the list is sorted by (last update, newest first)', async () => {
		const { results } = await searchAlerts.call(context({ resource: 'alert', operation: 'get', api: 'graph' }));
		const store = emu.store(FIXTURE.tenants.A.id);
		for (const r of results) expect(r.name).toContain(` · ${shortTime(store.getAlert(String(r.value))!.lastUpdateTime)}`);
	});

	it('leaves out what a record lacks, without empty separators', () => {
		expect(alertRow({ title: 'x' }, { title: 'x', severity: 'high' })).toBe('High · x');
		expect(alertRow({}, { title: '' })).toBe('(no title)');
		expect(incidentRow({ id: '7', displayName: '' })).toBe('#7 · Unknown · Unknown');
		expect(incidentRow({ id: '7', displayName: 'A', severity: 'informational', status: 'awaitingAction' })).toBe('#7 · Informational · Awaiting Action · A');
		expect(alertRow({ evidence: [{ deviceDnsName: 'pc-01.contoso.com' }] }, { title: 't', lastUpdateDateTime: '2026-01-02T03:04:05Z' })).toBe('t · pc-01 · Jan 2 03:04');
	});
});
