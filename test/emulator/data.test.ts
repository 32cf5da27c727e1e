/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console */
import { DefenderStore } from './data/store';
import { timeMs } from './data/model';

const T0 = Date.parse('2026-11-22T12:00:00Z');
const mk = (o: ConstructorParameters<typeof DefenderStore>[0] = {}, clock = { t: T0 }) =>
	new DefenderStore({ seed: 3, machines: 10, alerts: 60, incidents: 20, now: () => clock.t, ...o });

describe('generator', () => {
	test('deterministic per seed, different across seeds', () => {
		const a = mk();
		const b = mk();
		const c = mk({ seed: 4 });
		expect(a.alerts.map((x) => x.id)).toEqual(b.alerts.map((x) => x.id));
		expect(a.machines.map((x) => x.id)).toEqual(b.machines.map((x) => x.id));
		expect(c.alerts[0].id).not.toBe(a.alerts[0].id);
	});
	test('shapes: ids, enums, timestamps', () => {
		const s = mk();
		for (const m of s.machines) expect(m.id).toMatch(/^[0-9a-f]{40}$/);
		for (const a of s.alerts) {
			expect(a.id).toMatch(/^da\d{18}_-?\d+$/);
			expect(['Informational', 'Low', 'Medium', 'High']).toContain(a.severity);
			expect(['New', 'InProgress', 'Resolved']).toContain(a.status);
			expect(a.alertCreationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
			expect(a.lastUpdateTime >= a.alertCreationTime).toBe(true);
			expect(timeMs(a.lastUpdateTime)).toBeLessThanOrEqual(T0 + 1);
			expect(s.getIncident(a.incidentId)!.alertIds).toContain(a.id);
		}
		// the alert id encodes the creation time as .NET ticks
		const a = s.alerts[0];
		const ticks = BigInt(a.id.slice(2).split('_')[0]);
		const ms = Number((ticks - 621355968000000000n) / 10000n);
		expect(ms).toBe(Math.floor(timeMs(a.alertCreationTime)));
		// first three machines are Windows, usable for every action
		expect(s.machines.slice(0, 3).every((m) => m.osPlatform.startsWith('Windows'))).toBe(true);
		expect(s.counts()).toMatchObject({ machines: 10, alerts: 60, incidents: 20 });
	});
	test('100,000 alerts generate fast (figure printed, not asserted)', () => {
		const t0 = Date.now();
		const c0 = process.cpuUsage();
		const s = new DefenderStore({ seed: 1, alerts: 100000, machines: 500, now: () => T0 });
		const cpu = process.cpuUsage(c0);
		const ms = Date.now() - t0;
		console.log(`generated 100,000 alerts / ${s.incidents.length} incidents / 500 machines in ${ms} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`);
		expect(s.alerts.length).toBe(100000);
		// creation order == seq order
		for (let i = 1; i < s.alerts.length; i += 997) expect(s.alerts[i].alertCreationTime >= s.alerts[i - 1].alertCreationTime).toBe(true);
	});
});

describe('control methods', () => {
	test('addAlert at a chosen time, late arrival, new incident', () => {
		const s = mk();
		const a = s.addAlert({ severity: 'High', title: 'Late one' }, '2026-11-01T00:00:00Z');
		expect(a.lastUpdateTime).toBe('2026-11-01T00:00:00.0000000Z');
		expect(a.alertCreationTime).toBe('2026-11-01T00:00:00.0000000Z');
		expect(s.getIncident(a.incidentId)!.alertIds).toEqual([a.id]);
		expect(s.alerts[s.alerts.length - 1]).toBe(a);
		const b = s.addAlert({ incidentId: a.incidentId }, T0);
		expect(b.incidentId).toBe(a.incidentId);
		expect(s.getIncident(a.incidentId)!.lastUpdateTime).toBe(b.lastUpdateTime);
		expect(() => s.addAlert({ severity: 'Extreme' })).toThrow(/Invalid severity/);
	});
	test('updateAlert: vocabularies, comments, lastUpdateTime, projections refreshed', () => {
		const s = mk();
		const a = s.alerts[5];
		const before = s.toGraphAlert(a);
		s.updateAlert(a.id, { status: 'resolved', classification: 'TruePositive', determination: 'CompromisedUser', comment: 'done', commentBy: 'me' }, '2026-11-22T11:00:00Z');
		expect(a.status).toBe('Resolved');
		expect(a.lastUpdateTime).toBe('2026-11-22T11:00:00.0000000Z');
		expect(a.resolvedTime).toBe('2026-11-22T11:00:00.0000000Z');
		const g = s.toGraphAlert(a);
		expect(g).not.toBe(before);
		expect(g).toMatchObject({ status: 'resolved', classification: 'truePositive', determination: 'compromisedAccount' });
		expect(s.toMdeAlert(a)).toMatchObject({ status: 'Resolved', classification: 'TruePositive', determination: 'CompromisedUser' });
		expect(s.toMdeAlert(a).comments).toEqual([{ comment: 'done', createdBy: 'me', createdTime: '2026-11-22T11:00:00.0000000Z' }]);
		expect(() => s.updateAlert(a.id, { determination: 'Nonsense' })).toThrow(/Invalid determination/);
		expect(a.determination).toBe('compromisedAccount');
		expect(() => s.updateAlert('nope', {})).toThrow(/not found/);
	});
	test('addIncident / updateIncident, XDR and Graph projections', () => {
		const s = mk();
		const i = s.addIncident({ alerts: 3, severity: 'High', tags: ['x'] }, '2026-11-20T00:00:00Z');
		expect(i.alertIds).toHaveLength(3);
		s.updateIncident(String(i.incidentId), { status: 'Resolved', classification: 'FalsePositive', determination: 'NotMalicious', comment: 'fp' }, T0);
		const x = s.toXdrIncident(i);
		expect(x).toMatchObject({ incidentId: i.incidentId, status: 'Resolved', classification: 'FalsePositive', determination: 'Clean', tags: ['x'] });
		expect(x.alerts).toHaveLength(3);
		expect(x.alerts[0]).toHaveProperty('lastUpdatedTime');
		expect(x.alerts[0].devices[0]).toHaveProperty('mdatpDeviceId');
		const g = s.toGraphIncident(i, true);
		expect(g).toMatchObject({ id: String(i.incidentId), status: 'resolved', classification: 'falsePositive', determination: 'notMalicious', customTags: ['x'] });
		expect((g.alerts as unknown[]).length).toBe(3);
		s.updateIncident(i.incidentId, { status: 'AwaitingAction' });
		expect(s.toGraphIncident(i).status).toBe('unknownFutureValue');
		expect(s.toGraphIncident(i, false, true).status).toBe('awaitingAction');
	});
	test('addAlerts bulk spread', () => {
		const s = mk({ alerts: 0, incidents: 0 });
		const out = s.addAlerts(5, { at: '2026-11-22T00:00:00Z', spreadMs: 4000 });
		expect(out.map((a) => a.lastUpdateTime.slice(11, 19))).toEqual(['00:00:00', '00:00:01', '00:00:02', '00:00:03', '00:00:04']);
	});
});

describe('configure', () => {
	test('switches behaviour at run time', () => {
		const s = mk();
		s.configure({ duplicateActionBehaviour: 'returnPending', graphAlertsNextLink: false, actionTiming: { pendingMs: 5 } });
		expect(s.opts).toMatchObject({ duplicateActionBehaviour: 'returnPending', graphAlertsNextLink: false });
		expect(s.opts.actionTiming.pendingMs).toBe(5);
		expect(s.opts.actionTiming.inProgressMs).toBe(3000);
	});
});

describe('machine actions', () => {
	test('Pending → InProgress → Succeeded, isolation reflected, duplicate detection', () => {
		const clock = { t: T0 };
		const s = mk({ actionTiming: { pendingMs: 1000, inProgressMs: 2000 } }, clock);
		const m = s.machines[0];
		const { action, duplicate } = s.createAction(m, 'Isolate', { scope: 'Full', comment: 'c', requestor: 'app' });
		expect(duplicate).toBe(false);
		expect(s.actionStatus(action).status).toBe('Pending');
		expect(s.createAction(m, 'Isolate', { comment: 'c', requestor: 'app' })).toEqual({ action, duplicate: true });
		clock.t += 1500;
		expect(s.toMachineAction(action)).toMatchObject({ status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-22T12:00:01.0000000Z' });
		expect(s.machineState(m.id).isolated).toBe(false);
		clock.t += 2000;
		expect(s.actionStatus(action).status).toBe('Succeeded');
		expect(s.machineState(m.id)).toMatchObject({ isolated: true, isolationType: 'Full' });
		const u = s.createAction(m, 'Unisolate', { comment: 'c', requestor: 'app' }).action;
		clock.t += 5000;
		expect(s.actionStatus(u).status).toBe('Succeeded');
		expect(s.machineState(m.id).isolated).toBe(false);
	});
	test("P-4 'stuckPending': a duplicate isolate stays Pending and re-isolates after a later unisolate", () => {
		const clock = { t: T0 };
		const s = mk({ actionTiming: { pendingMs: 1000, inProgressMs: 1000 }, duplicateActionBehaviour: 'stuckPending' }, clock);
		const m = s.machines[0];
		const first = s.createAction(m, 'Isolate', { comment: 'c', requestor: 'app' });
		const dup = s.createAction(m, 'Isolate', { comment: 'again', requestor: 'app' });
		expect(dup.duplicate).toBe(false);
		expect(dup.action.id).not.toBe(first.action.id);
		clock.t += 10000;
		expect(s.actionStatus(first.action).status).toBe('Succeeded');
		expect(s.actionStatus(dup.action).status).toBe('Pending');
		expect(s.machineState(m.id).isolated).toBe(true);
		s.createAction(m, 'Unisolate', { comment: 'release', requestor: 'app' });
		clock.t += 2500;
		expect(s.actionStatus(dup.action).status).toBe('InProgress');
		clock.t += 1000;
		expect(s.actionStatus(dup.action).status).toBe('Succeeded');
		expect(s.machineState(m.id).isolated).toBe(true);
	});
	test('cancel, per-machine outcome override, TimeOut', () => {
		const clock = { t: T0 };
		const s = mk({ actionTiming: { pendingMs: 1000, inProgressMs: 1000 } }, clock);
		const [m1, m2, m3] = s.machines;
		const a = s.createAction(m1, 'RunAntiVirusScan', { scope: 'Quick', comment: 'c', requestor: 'app' }).action;
		expect(s.cancelAction(a, 'app', 'stop')).toBe(true);
		expect(s.toMachineAction(a)).toMatchObject({ status: 'Cancelled', cancellationComment: 'stop', cancellationRequestor: 'app' });
		expect(s.cancelAction(a, 'app', 'again')).toBe(false);
		s.setActionBehaviour(m2.id, { outcome: 'Failed' });
		s.setActionBehaviour(m3.id, { outcome: 'TimeOut', pendingMs: 10000 });
		const f = s.createAction(m2, 'Isolate', { comment: 'c', requestor: 'app' }).action;
		const t = s.createAction(m3, 'Isolate', { comment: 'c', requestor: 'app' }).action;
		clock.t += 5000;
		expect(s.actionStatus(f).status).toBe('Failed');
		expect(s.actionStatus(t).status).toBe('Pending');
		clock.t += 10000;
		expect(s.actionStatus(t).status).toBe('TimeOut');
		expect(s.machineState(m2.id).isolated).toBe(false);
	});
});
