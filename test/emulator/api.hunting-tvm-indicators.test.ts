import { call, makeStore } from './api.helpers';

const enc = encodeURIComponent;

describe('hunting routes', () => {
	test('MDE advancedqueries/run and XDR advancedhunting/run: Schema/Results/Stats, case-sensitive Query', async () => {
		const s = makeStore({ huntingRows: 500 });
		for (const path of ['/api/advancedqueries/run', '/api/advancedhunting/run']) {
			const r = await call(s, 'POST', path, { Query: 'DeviceProcessEvents | where Timestamp > ago(30d) | summarize count() by FileName | order by count_ desc' });
			expect(r.status).toBe(200);
			expect(r.body.Schema).toEqual([
				{ Name: 'FileName', Type: 'String' },
				{ Name: 'count_', Type: 'Int64' },
			]);
			expect(r.body.Results.reduce((n: number, x: { count_: number }) => n + x.count_, 0)).toBe(500);
			expect(r.body.Stats).toHaveProperty('ExecutionTime');
			const wrong = await call(s, 'POST', path, { query: 'DeviceInfo | take 1' });
			expect(wrong).toMatchObject({ status: 400, error: { code: 'InvalidRequestBody' } });
			const empty = await call(s, 'POST', path, { Query: '  ' });
			expect(empty.status).toBe(400);
			const bad = await call(s, 'POST', path, { Query: 'DeviceInfo | join kind=inner (AlertInfo) on DeviceId' });
			expect(bad).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
		}
	});
	test('Graph runHuntingQuery: schema/results lower-case, Timespan honoured', async () => {
		const s = makeStore({ huntingRows: 500 });
		const r = await call(s, 'POST', '/v1.0/security/runHuntingQuery', { Query: 'DeviceNetworkEvents | project Timestamp, RemoteUrl | take 3' });
		expect(r.status).toBe(200);
		expect(r.body.schema).toEqual([
			{ name: 'Timestamp', type: 'DateTime' },
			{ name: 'RemoteUrl', type: 'String' },
		]);
		expect(r.body.results).toHaveLength(3);
		expect(r.body.Stats).toBeUndefined();
		const all = await call(s, 'POST', '/v1.0/security/runHuntingQuery', { Query: 'DeviceNetworkEvents | count' });
		const day = await call(s, 'POST', '/v1.0/security/runHuntingQuery', { Query: 'DeviceNetworkEvents | count', Timespan: 'P1D' });
		expect(day.body.results[0].Count).toBeLessThan(all.body.results[0].Count);
		expect((await call(s, 'POST', '/v1.0/security/runHuntingQuery', { Query: 'x', Timespan: 'soon' })).status).toBe(400);
		expect((await call(s, 'POST', '/v1.0/security/runHuntingQuery', {})).error!.code).toBe('BadRequest');
	});
});

describe('documented failure modes (opt-in)', () => {
	test('P-6 result too large → 400; P-10 Graph incidents $expand=alerts with $filter → 500', async () => {
		const s = makeStore({ huntingRows: 500 });
		s.configure({ huntingMaxResultBytes: 10000 });
		const big = await call(s, 'POST', '/api/advancedqueries/run', { Query: 'DeviceProcessEvents' });
		expect(big).toMatchObject({ status: 400, error: { code: 'BadRequest', message: expect.stringMatching(/exceeded the allowed result size/) } });
		expect((await call(s, 'POST', '/api/advancedqueries/run', { Query: 'DeviceProcessEvents | take 2' })).status).toBe(200);
		s.configure({ graphExpandWithFilterFails: true });
		const f = encodeURIComponent("status eq 'active'");
		expect((await call(s, 'GET', `/v1.0/security/incidents?$expand=alerts&$filter=${f}`)).status).toBe(500);
		expect((await call(s, 'GET', `/v1.0/security/incidents?$filter=${f}`)).status).toBe(200);
		expect((await call(s, 'GET', '/v1.0/security/incidents?$expand=alerts')).status).toBe(200);
	});
});

describe('indicators', () => {
	const ind = (over: Record<string, unknown> = {}) => ({
		indicatorValue: '8.8.8.8',
		indicatorType: 'IpAddress',
		action: 'Block',
		title: 't',
		description: 'd',
		severity: 'High',
		...over,
	});
	test('submit creates then updates by (type, value); list; delete 204; validation', async () => {
		const s = makeStore();
		const a = await call(s, 'POST', '/api/indicators', ind(), { roles: ['Ti.ReadWrite.All'] });
		expect(a.status).toBe(200);
		expect(a.body).toMatchObject({ id: '1', indicatorValue: '8.8.8.8', action: 'Block', severity: 'High', createdBySource: 'PublicApi' });
		const b = await call(s, 'POST', '/api/indicators', ind({ action: 'Audit', generateAlert: true, title: 't2' }), { roles: ['Ti.ReadWrite.All'] });
		expect(b.body).toMatchObject({ id: '1', action: 'Audit', title: 't2' });
		expect(s.indicators).toHaveLength(1);
		const l = await call(s, 'GET', `/api/indicators?$filter=${enc("indicatorType eq 'IpAddress'")}`, undefined, { roles: ['Ti.ReadWrite.All'] });
		expect(l.body.value).toHaveLength(1);
		expect((await call(s, 'POST', '/api/indicators', ind({ indicatorValue: '10.0.0.0/8' }))).error!.code).toBe('InvalidIpAddress');
		expect((await call(s, 'POST', '/api/indicators', ind({ indicatorType: 'FileSha256', indicatorValue: 'abc' }))).error!.code).toBe('InvalidHashValue');
		expect((await call(s, 'POST', '/api/indicators', ind({ indicatorType: 'Hash' }))).error!.code).toBe('InvalidInput');
		expect((await call(s, 'POST', '/api/indicators', ind({ action: 'Audit', generateAlert: false }))).error!.code).toBe('InvalidInput');
		expect((await call(s, 'POST', '/api/indicators', { indicatorValue: 'x.com', indicatorType: 'DomainName' })).error!.code).toBe('MissingRequiredParameter');
		const d = await call(s, 'DELETE', '/api/indicators/1', undefined, { roles: ['Ti.ReadWrite.All'] });
		expect(d.status).toBe(204);
		expect((await call(s, 'DELETE', '/api/indicators/1', undefined, { roles: ['Ti.ReadWrite.All'] })).status).toBe(404);
	});
	test('Ti.ReadWrite sees only its own indicators; import batch', async () => {
		const s = makeStore();
		await call(s, 'POST', '/api/indicators', ind({ indicatorValue: 'evil.example', indicatorType: 'DomainName' }), { appId: 'app-1', roles: ['Ti.ReadWrite'] });
		const other = await call(s, 'GET', '/api/indicators', undefined, { appId: 'app-2', roles: ['Ti.ReadWrite'] });
		expect(other.body.value).toHaveLength(0);
		const all = await call(s, 'GET', '/api/indicators', undefined, { appId: 'app-2', roles: ['Ti.ReadWrite.All'] });
		expect(all.body.value).toHaveLength(1);
		const imp = await call(s, 'POST', '/api/indicators/import', { Indicators: [ind({ indicatorValue: '1.2.3.4' }), ind({ indicatorValue: 'nope' })] }, { roles: ['Ti.ReadWrite.All'] });
		expect(imp.body.value.map((r: { isFailed: boolean }) => r.isFailed)).toEqual([false, true]);
	});
});

describe('TVM', () => {
	test('vulnerabilities ($top ≤ 8000), by id, by machine, software, machine references', async () => {
		const s = makeStore({ vulnerabilities: 50 });
		const v = await call(s, 'GET', `/api/vulnerabilities?$filter=${enc("severity eq 'Critical' or cvssV3 ge 9")}`);
		expect(v.body.value.every((x: { cvssV3: number }) => x.cvssV3 >= 9)).toBe(true);
		expect((await call(s, 'GET', '/api/vulnerabilities?$top=8001')).status).toBe(400);
		expect((await call(s, 'GET', '/api/vulnerabilities?$top=8000')).status).toBe(200);
		const id = s.vulnerabilities[0].id;
		expect((await call(s, 'GET', `/api/Vulnerabilities/${id}`)).body.id).toMatch(/^CVE-\d{4}-\d+$/);
		expect((await call(s, 'GET', '/api/vulnerabilities/CVE-1999-0001')).error!.code).toBe('ResourceNotFound');
		const m = s.machines[0];
		const mv = await call(s, 'GET', `/api/machines/${m.id}/vulnerabilities`);
		expect(Array.isArray(mv.body.value)).toBe(true);
		const sw = await call(s, 'GET', '/api/Software');
		expect(sw.body.value[0].id).toMatch(/-_-/);
		const swId = sw.body.value.find((x: { exposedMachines: number }) => x.exposedMachines > 0).id;
		expect((await call(s, 'GET', `/api/software/${enc(swId)}`)).body.id).toBe(swId);
		const refs = await call(s, 'GET', `/api/software/${enc(swId)}/machineReferences`);
		expect(refs.body.value.length).toBeGreaterThan(0);
		expect(refs.body.value[0]).toHaveProperty('computerDnsName');
		const ms = await call(s, 'GET', `/api/machines/${m.id}/software`);
		expect(ms.body.value.length).toBeGreaterThan(0);
		const flat = await call(s, 'GET', '/api/vulnerabilities/machinesVulnerabilities?$top=5');
		expect(flat.status).toBe(200);
	});
});
