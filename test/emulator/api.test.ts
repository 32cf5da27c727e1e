import { routes } from './api';
import { call, makeStore } from './api.helpers';
import { variantsForSeed } from './contract';

const enc = encodeURIComponent;

describe('route table', () => {
	test('every route names api, quota and roles; cancel accepts any Machine.* action role', () => {
		for (const r of routes) {
			expect(['mde', 'xdr', 'graph']).toContain(r.api);
			expect(typeof r.quota).toBe('string');
			if (!r.public) expect(r.roles.length).toBeGreaterThan(0);
		}
		const keys = routes.map((r) => `${r.method} ${r.path.toLowerCase()}`);
		expect(new Set(keys).size).toBe(keys.length);
		expect(routes.length).toBeGreaterThanOrEqual(50);
		const cancel = routes.find((r) => r.path === '/api/machineactions/:id/cancel')!;
		expect(cancel.roles).toEqual(expect.arrayContaining(['Machine.Isolate', 'Machine.Scan', 'Machine.CollectForensics', 'Machine.LiveResponse']));
		expect(routes.find((r) => r.path === '/api/incidents')!.api).toBe('xdr');
		expect(routes.find((r) => r.path === '/api/incidents')!.quota).toBe('xdr-incidents');
	});
});

describe('MDE alerts', () => {
	test('paging: no $top → pages of 10,000 with nextLink ($skip); $top → no nextLink; $top > 10,000 → 400', async () => {
		const s = makeStore({ alerts: 25000, incidents: 5000 });
		const p1 = await call(s, 'GET', '/api/alerts');
		expect(p1.status).toBe(200);
		expect(p1.body['@odata.context']).toBe('http://emu.test/api/$metadata#Alerts');
		expect(p1.body.value).toHaveLength(10000);
		expect(p1.body['@odata.nextLink']).toBe('http://emu.test/api/alerts?$skip=10000');
		const p3 = await call(s, 'GET', '/api/alerts?$skip=20000');
		expect(p3.body.value).toHaveLength(5000);
		expect(p3.body['@odata.nextLink']).toBeUndefined();
		const t = await call(s, 'GET', '/api/alerts?$top=100');
		expect(t.body.value).toHaveLength(100);
		expect(t.body['@odata.nextLink']).toBeUndefined();
		const big = await call(s, 'GET', '/api/alerts?$top=10001');
		expect(big.status).toBe(400);
		expect(big.error!.code).toBe('ODataError');
		expect(big.error!.message).toMatch(/limit of '10000'/);
	});
	test('incremental polling: lastUpdateTime ge X, orderby asc, late arrival seen by a later poll', async () => {
		const s = makeStore();
		const cursor = s.alerts[60].lastUpdateTime;
		const f = `lastUpdateTime ge ${cursor}`;
		const r = await call(s, 'GET', `/api/alerts?$filter=${enc(f)}&$orderby=${enc('lastUpdateTime asc')}&$top=1000`);
		const times: string[] = r.body.value.map((a: { lastUpdateTime: string }) => a.lastUpdateTime);
		expect(times.length).toBeGreaterThan(0);
		expect(times).toEqual([...times].sort());
		expect(times.every((t) => t >= cursor)).toBe(true);
		const max = times[times.length - 1];
		// late arrival: stamped earlier than the cursor → not seen with ge cursor; seen with an overlap window
		const late = s.addAlert({}, new Date(Date.parse(max) - 60000).toISOString());
		const r2 = await call(s, 'GET', `/api/alerts?$filter=${enc(`lastUpdateTime ge ${max}`)}`);
		expect(r2.body.value.map((a: { id: string }) => a.id)).not.toContain(late.id);
		const r3 = await call(s, 'GET', `/api/alerts?$filter=${enc(`lastUpdateTime ge ${new Date(Date.parse(max) - 120000).toISOString()}`)}`);
		expect(r3.body.value.map((a: { id: string }) => a.id)).toContain(late.id);
	});
	test('filter errors and $expand=evidence', async () => {
		const s = makeStore();
		const bad = await call(s, 'GET', `/api/alerts?$filter=${enc("machineId eq 'x'")}`);
		expect(bad).toMatchObject({ status: 400, error: { code: 'ODataError' } });
		const syn = await call(s, 'GET', `/api/alerts?$filter=${enc("status eq 'New' and")}`);
		expect(syn.status).toBe(400);
		const ok = await call(s, 'GET', `/api/alerts?$top=3&$expand=evidence&$filter=${enc("status eq 'New' or severity eq 'High'")}`);
		expect(ok.body.value[0].evidence.length).toBeGreaterThan(0);
		expect(ok.body.value[0].evidence[0]).toHaveProperty('entityType');
		const noEv = await call(s, 'GET', '/api/alerts?$top=1');
		expect(noEv.body.value[0].evidence).toEqual([]);
	});
	test('get / patch / 404 / batchUpdate', async () => {
		const s = makeStore();
		const id = s.alerts[3].id;
		const g = await call(s, 'GET', `/api/alerts/${id}`);
		expect(g.body.id).toBe(id);
		const p = await call(s, 'PATCH', `/api/alerts/${id}`, { status: 'Resolved', classification: 'TruePositive', determination: 'Malware', comment: 'by n8n' });
		expect(p.status).toBe(200);
		expect(p.body).toMatchObject({ status: 'Resolved', classification: 'TruePositive', determination: 'Malware' });
		expect(p.body.comments.at(-1).comment).toBe('by n8n');
		const badEnum = await call(s, 'PATCH', `/api/alerts/${id}`, { status: 'Closed' });
		expect(badEnum).toMatchObject({ status: 400, error: { code: 'InvalidInput' } });
		const nf = await call(s, 'GET', '/api/alerts/da000_1');
		expect(nf).toMatchObject({ status: 404, error: { code: 'ResourceNotFound' } });
		const b = await call(s, 'POST', '/api/alerts/batchUpdate', { alertIds: [s.alerts[1].id, s.alerts[2].id], status: 'InProgress' });
		expect(b.status).toBe(200);
		expect(b.body).toBeUndefined();
		expect(s.alerts[1].status).toBe('InProgress');
	});
});

describe('Graph alerts_v2', () => {
	test('list, $top clamp at 1000, nextLink configurable, unsupported filter → 400', async () => {
		const s = makeStore({ alerts: 1500, incidents: 300 });
		const r = await call(s, 'GET', '/v1.0/security/alerts_v2?$top=5000');
		expect(r.body.value).toHaveLength(1000);
		expect(r.body['@odata.nextLink']).toMatch(/\$skip=1000/);
		const r2 = await call(s, 'GET', `/v1.0/security/alerts_v2?$filter=${enc("severity eq 'high' and status eq 'new'")}&$top=10`);
		for (const a of r2.body.value) expect(a).toMatchObject({ severity: 'high', status: 'new', serviceSource: 'microsoftDefenderForEndpoint' });
		expect(r2.body.value[0].evidence[0]['@odata.type']).toBe('#microsoft.graph.security.deviceEvidence');
		expect(typeof r2.body.value[0].incidentId).toBe('string');
		const bad = await call(s, 'GET', `/v1.0/security/alerts_v2?$filter=${enc("investigationState eq 'running'")}`);
		expect(bad).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
		const sel = await call(s, 'GET', '/v1.0/security/alerts_v2?$top=2&$select=id,lastUpdateDateTime');
		expect(Object.keys(sel.body.value[0])).toEqual(['id', 'lastUpdateDateTime']);
		// Lenient: $orderby honoured (only where a test needs a server order).
		const s2 = makeStore({ alerts: 300, graphAlertsNextLink: false, graphOrder: 'honoured' });
		const n = await call(s2, 'GET', '/v1.0/security/alerts_v2?$top=10');
		expect(n.body['@odata.nextLink']).toBeUndefined();
		// time-boundary paging works instead
		const tb = await call(s2, 'GET', `/v1.0/security/alerts_v2?$filter=${enc('lastUpdateDateTime gt 2026-11-01T00:00:00Z')}&$orderby=${enc('lastUpdateDateTime asc')}&$top=10`);
		const ts = tb.body.value.map((a: { lastUpdateDateTime: string }) => a.lastUpdateDateTime);
		expect(ts).toEqual([...ts].sort());
	});
	test('7-digit timestamps: a millisecond cursor (JS Date) with ge includes the sub-ms record, gt on the exact value excludes it', async () => {
		const s = makeStore();
		const a = s.addAlert({}, '2026-11-22T11:00:00.1234567Z');
		expect(s.toGraphAlert(a).lastUpdateDateTime).toBe('2026-11-22T11:00:00.1234567Z');
		const jsCursor = new Date(Date.parse(a.lastUpdateTime)).toISOString(); // 11:00:00.123Z
		const ge = await call(s, 'GET', `/v1.0/security/alerts_v2?$filter=${enc(`lastUpdateDateTime ge ${jsCursor}`)}`);
		expect(ge.body.value.map((x: { id: string }) => x.id)).toContain(a.id);
		const gtMs = await call(s, 'GET', `/v1.0/security/alerts_v2?$filter=${enc(`lastUpdateDateTime gt ${jsCursor}`)}`);
		expect(gtMs.body.value.map((x: { id: string }) => x.id)).toContain(a.id);
		const gtExact = await call(s, 'GET', `/v1.0/security/alerts_v2?$filter=${enc('lastUpdateDateTime gt 2026-11-22T11:00:00.1234567Z')}`);
		expect(gtExact.body.value.map((x: { id: string }) => x.id)).not.toContain(a.id);
	});
	test('patch, comments, 404', async () => {
		const s = makeStore();
		const id = s.alerts[0].id;
		const p = await call(s, 'PATCH', `/v1.0/security/alerts_v2/${id}`, { status: 'inProgress', assignedTo: 'me@contoso.com', determination: 'notMalicious', classification: 'falsePositive' });
		expect(p.body).toMatchObject({ status: 'inProgress', assignedTo: 'me@contoso.com', determination: 'notMalicious' });
		const bad = await call(s, 'PATCH', `/v1.0/security/alerts_v2/${id}`, { investigationState: 'x' });
		expect(bad).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
		const c = await call(s, 'POST', `/v1.0/security/alerts_v2/${id}/comments`, { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'hello' });
		expect(c.body.value.at(-1)).toMatchObject({ comment: 'hello', createdByDisplayName: expect.any(String), createdDateTime: expect.any(String) });
		expect((await call(s, 'GET', '/v1.0/security/alerts_v2/nope')).error!.code).toBe('NotFound');
	});
});

describe('Graph alerts_v2 and incidents: $orderby is not documented', () => {
	const collections = [
		{ path: '/v1.0/security/alerts_v2', top: 100, id: (x: { id: string }) => x.id },
		{ path: '/v1.0/security/incidents', top: 50, id: (x: { id: string }) => x.id },
	];
	const sortedAsc = (ts: string[]) => ts.every((t, i) => i === 0 || ts[i - 1] <= t);
	const sortedDesc = (ts: string[]) => ts.every((t, i) => i === 0 || ts[i - 1] >= t);

	test('strict variant by seed: never honoured; both hostile variants reached by some seed', async () => {
		const seen = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => variantsForSeed(seed).undocumentedOrderBy));
		expect([...seen].sort()).toEqual(['reverse', 'shuffled']);
		// Without a pinned variant the store follows its seed (handlers called without a server mode).
		const s = makeStore({ seed: 4, alerts: 200 });
		expect(s.opts.graphOrder).toBe('auto');
		const r = await call(s, 'GET', `/v1.0/security/alerts_v2?$orderby=${enc('lastUpdateDateTime asc')}&$top=50`);
		const ts = r.body.value.map((a: { lastUpdateDateTime: string }) => a.lastUpdateDateTime);
		expect(ts).toEqual([...ts].sort().reverse()); // seed 4: reverse
	});

	test.each(['shuffled', 'reverse', 'honoured'] as const)('%s: accepted (200), pages by nextLink cover the filtered set exactly once', async (variant) => {
		for (const c of collections) {
			const s = makeStore({ alerts: 600, incidents: 200, graphOrder: variant });
			const f = enc('lastUpdateDateTime ge 2026-10-01T00:00:00Z');
			const first = `${c.path}?$filter=${f}&$orderby=${enc('lastUpdateDateTime asc')}&$top=${c.top}`;
			let url: string | undefined = first;
			const ids: string[] = [];
			const ts: string[] = [];
			let pages = 0;
			while (url) {
				const r: { status: number; body: { value: Array<{ id: string; lastUpdateDateTime: string }>; '@odata.nextLink'?: string } } = await call(s, 'GET', url);
				expect(r.status).toBe(200);
				for (const x of r.body.value) {
					ids.push(c.id(x));
					ts.push(x.lastUpdateDateTime);
				}
				url = r.body['@odata.nextLink'];
				pages++;
			}
			expect(pages).toBeGreaterThan(1);
			expect(new Set(ids).size).toBe(ids.length);
			const all = await call(s, 'GET', `${c.path}?$filter=${f}&$count=true&$top=1`);
			expect(ids.length).toBe(all.body['@odata.count']);
			if (variant === 'honoured') expect(sortedAsc(ts)).toBe(true);
			if (variant === 'reverse') expect(sortedDesc(ts)).toBe(true);
			if (variant === 'shuffled') expect(sortedAsc(ts) || sortedDesc(ts)).toBe(false);
			// Deterministic: the same query gives the same order.
			const again = await call(s, 'GET', first);
			expect(again.body.value.map(c.id)).toEqual(ids.slice(0, c.top));
		}
	});

	test('strict: an invalid $orderby is not even parsed (ignored); honoured: refused with 400', async () => {
		const strict = await call(makeStore({ graphOrder: 'shuffled' }), 'GET', `/v1.0/security/alerts_v2?$orderby=${enc('noSuchField desc')}`);
		expect(strict.status).toBe(200);
		const lenient = await call(makeStore({ graphOrder: 'honoured' }), 'GET', `/v1.0/security/alerts_v2?$orderby=${enc('noSuchField desc')}`);
		expect(lenient.status).toBe(400);
	});
});

describe('incidents', () => {
	test('Graph: $top ≤ 50 (51 → 400 empty code), $expand=alerts, nextLink, patch, comments', async () => {
		const s = makeStore({ alerts: 300, incidents: 120 });
		const over = await call(s, 'GET', '/v1.0/security/incidents?$top=51');
		expect(over).toMatchObject({ status: 400, error: { code: '' } });
		expect(over.error!.message).toMatch(/limit of '50' for Top query has been exceeded. The value from the incoming request is '51'/);
		const r = await call(s, 'GET', '/v1.0/security/incidents?$top=50&$expand=alerts');
		expect(r.body.value).toHaveLength(50);
		expect(r.body.value[0].alerts.length).toBeGreaterThan(0);
		expect(r.body['@odata.nextLink']).toMatch(/\$skip=50/);
		const id = r.body.value[0].id;
		const p = await call(s, 'PATCH', `/v1.0/security/incidents/${id}`, { status: 'resolved', classification: 'truePositive', determination: 'malware', customTags: ['n8n'] });
		expect(p.body).toMatchObject({ status: 'resolved', classification: 'truePositive', determination: 'malware', customTags: ['n8n'] });
		const c = await call(s, 'POST', `/v1.0/security/incidents/${id}/comments`, { comment: 'x' });
		expect(c.body.value.at(-1).comment).toBe('x');
		const f = await call(s, 'GET', `/v1.0/security/incidents?$filter=${enc("status eq 'resolved'")}`);
		expect(f.body.value.map((i: { id: string }) => i.id)).toContain(id);
		expect((await call(s, 'GET', '/v1.0/security/incidents/999999')).error!.code).toBe('NotFound');
	});
	test('XDR: $top ≤ 100 (101 → 400), newest first, embedded alerts, patch', async () => {
		const s = makeStore({ alerts: 600, incidents: 250 });
		expect((await call(s, 'GET', '/api/incidents?$top=101')).status).toBe(400);
		const r = await call(s, 'GET', '/api/incidents');
		expect(r.body.value).toHaveLength(100);
		expect(r.body.value[0].createdTime >= r.body.value[99].createdTime).toBe(true);
		expect(r.body.value[0].alerts[0]).toHaveProperty('alertId');
		const f = await call(s, 'GET', `/api/incidents?$filter=${enc('lastUpdateTime ge 2026-11-15T00:00:00Z')}&$top=100&$skip=0`);
		expect(f.body.value.every((i: { lastUpdateTime: string }) => i.lastUpdateTime >= '2026-11-15')).toBe(true);
		const id = r.body.value[0].incidentId;
		const p = await call(s, 'PATCH', `/api/incidents/${id}`, { status: 'Resolved', assignedTo: 'secop@contoso.com', classification: 'TruePositive', determination: 'Malware', tags: ['ransomware'], comment: 'closed by n8n' });
		expect(p.body).toMatchObject({ status: 'Resolved', classification: 'TruePositive', determination: 'Malware', tags: ['ransomware'] });
		expect(p.body.comments.at(-1).comment).toBe('closed by n8n');
		expect((await call(s, 'GET', '/api/incidents/42')).error!.code).toBe('ResourceNotFound');
	});
});

describe('machines', () => {
	test('list/filter/get by id or name, findbyip, findbytag, logonusers, machine alerts', async () => {
		const s = makeStore();
		const m = s.machines[0];
		const f = await call(s, 'GET', `/api/machines?$filter=${enc(`computerDnsName eq '${m.computerDnsName}'`)}`);
		expect(f.body.value.map((x: { id: string }) => x.id)).toEqual([m.id]);
		expect((await call(s, 'GET', `/api/machines/${m.id}`)).body.id).toBe(m.id);
		expect((await call(s, 'GET', `/api/machines/${m.computerDnsName}`)).body.id).toBe(m.id);
		const ip = await call(s, 'GET', `/api/machines/findbyip(ip='${m.lastIpAddress}',timestamp=2026-11-22T00:00:00Z)`);
		expect(ip.body.value.map((x: { id: string }) => x.id)).toContain(m.id);
		const old = await call(s, 'GET', `/api/machines/findbyip(ip='${m.lastIpAddress}',timestamp=2026-01-01T00:00:00Z)`);
		expect(old.status).toBe(400);
		const sw = await call(s, 'GET', `/api/machines?$filter=${enc("startswith(computerDnsName,'desk')")}`);
		expect(sw.body.value.every((x: { computerDnsName: string }) => x.computerDnsName.startsWith('desk'))).toBe(true);
		const lu = await call(s, 'GET', `/api/machines/${m.id}/logonusers`);
		expect(lu.body.value[0]).toHaveProperty('accountName');
		const ma = await call(s, 'GET', `/api/machines/${m.id}/alerts`);
		expect(ma.body.value.every((a: { machineId: string }) => a.machineId === m.id)).toBe(true);
		expect((await call(s, 'GET', '/api/machines/0000000000000000000000000000000000000000')).error!.code).toBe('ResourceNotFound');
		const empty = makeStore({ machines: 0, alerts: 0, incidents: 0 });
		expect((await call(empty, 'GET', '/api/machines')).status).toBe(404);
	});
	test('tags: case-sensitive body, add/remove, findbytag', async () => {
		const s = makeStore();
		const m = s.machines[1];
		const bad = await call(s, 'POST', `/api/machines/${m.id}/tags`, { value: 'X', action: 'Add' });
		expect(bad).toMatchObject({ status: 400, error: { code: 'InvalidRequestBody' } });
		const missing = await call(s, 'POST', `/api/machines/${m.id}/tags`, { Action: 'Add' });
		expect(missing).toMatchObject({ status: 400, error: { code: 'MissingRequiredParameter' } });
		const add = await call(s, 'POST', `/api/machines/${m.id}/tags`, { Value: 'n8n-test', Action: 'Add' });
		expect(add.body.machineTags).toContain('n8n-test');
		const ft = await call(s, 'GET', '/api/machines/findbytag?tag=n8n-test&useStartsWithFilter=false');
		expect(ft.body.value.map((x: { id: string }) => x.id)).toEqual([m.id]);
		const any = await call(s, 'GET', `/api/machines?$filter=${enc("machineTags/any(t: t eq 'n8n-test')")}`);
		expect(any.body.value.map((x: { id: string }) => x.id)).toEqual([m.id]);
		const rm = await call(s, 'POST', `/api/machines/${m.id}/tags`, { Value: 'n8n-test', Action: 'Remove' });
		expect(rm.body.machineTags).not.toContain('n8n-test');
	});
});

describe('machine actions', () => {
	test('isolate 201 → duplicate 400 ActiveRequestAlreadyExists → completes → device isolated', async () => {
		const clock = { t: Date.parse('2026-11-22T12:00:00Z') };
		const s = makeStore({ actionTiming: { pendingMs: 1000, inProgressMs: 1000 } }, clock);
		const m = s.machines[0];
		const r = await call(s, 'POST', `/api/machines/${m.id}/isolate`, { Comment: 'IR 42', IsolationType: 'Selective' });
		expect(r.status).toBe(201);
		expect(r.body).toMatchObject({ type: 'Isolate', scope: 'Selective', status: 'Pending', machineId: m.id, requestorComment: 'IR 42' });
		const dup = await call(s, 'POST', `/api/machines/${m.id}/isolate`, { Comment: 'again' });
		expect(dup).toMatchObject({ status: 400, error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' } });
		const wrongCase = await call(s, 'POST', `/api/machines/${m.id}/unisolate`, { comment: 'x' });
		expect(wrongCase).toMatchObject({ status: 400, error: { code: 'InvalidRequestBody' } });
		clock.t += 2500;
		const g = await call(s, 'GET', `/api/machineactions/${r.body.id}`);
		expect(g.body.status).toBe('Succeeded');
		expect(s.machineState(m.id).isolated).toBe(true);
		const list = await call(s, 'GET', `/api/machineactions?$filter=${enc(`machineId eq '${m.id}' and type eq 'Isolate' and status eq 'Succeeded'`)}`);
		expect(list.body.value.map((a: { id: string }) => a.id)).toEqual([r.body.id]);
	});
	test('returnPending mode, offboard 200, scan needs ScanType, quarantine Sha1, cancel', async () => {
		const s = makeStore({ duplicateActionBehaviour: 'returnPending' });
		const m = s.machines[1];
		const a1 = await call(s, 'POST', `/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'x', ScanType: 'Quick' });
		const a2 = await call(s, 'POST', `/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'y', ScanType: 'Full' });
		expect(a2.status).toBe(201);
		expect(a2.body.id).toBe(a1.body.id);
		expect((await call(s, 'POST', `/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'x' })).error!.code).toBe('MissingRequiredParameter');
		const q = await call(s, 'POST', `/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'x', Sha1: 'a'.repeat(40) });
		expect(q.body.relatedFileInfo).toEqual({ fileIdentifier: 'a'.repeat(40), fileIdentifierType: 'Sha1' });
		expect((await call(s, 'POST', `/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'x', Sha1: 'zz' })).status).toBe(400);
		const c = await call(s, 'POST', `/api/machineactions/${a1.body.id}/cancel`, { Comment: 'stop' });
		expect(c).toMatchObject({ status: 200, body: { status: 'Cancelled', cancellationComment: 'stop' } });
		expect((await call(s, 'POST', `/api/machineactions/${a1.body.id}/cancel`, { Comment: 'again' })).status).toBe(400);
		const off = await call(s, 'POST', `/api/machines/${s.machines[2].id}/offboard`, { Comment: 'bye' });
		expect(off.status).toBe(200);
		expect((await call(s, 'GET', '/api/machineactions/00000000-0000-4000-8000-000000000000')).error!.code).toBe('ResourceNotFound');
	});
	test('collect package: GetPackageUri 404 until Succeeded, then a quoted SAS url that downloads a zip', async () => {
		const clock = { t: Date.parse('2026-11-22T12:00:00Z') };
		const s = makeStore({ actionTiming: { pendingMs: 1000, inProgressMs: 1000 } }, clock);
		const m = s.machines[0];
		const a = await call(s, 'POST', `/api/machines/${m.id}/collectInvestigationPackage`, { Comment: 'collect' });
		expect(a.status).toBe(201);
		const early = await call(s, 'GET', `/api/machineactions/${a.body.id}/GetPackageUri`);
		expect(early).toMatchObject({ status: 404, error: { code: 'ResourceNotFound' } });
		clock.t += 3000;
		const u = await call(s, 'GET', `/api/machineactions/${a.body.id}/getPackageUri`);
		expect(u.status).toBe(200);
		expect(u.body.value).toMatch(/^"http:\/\/emu\.test\/_files\/.+\.zip\?.*sig=.+"$/);
		const url = (u.body.value as string).slice(1, -1);
		const dl = await call(s, 'GET', url);
		expect(dl.status).toBe(200);
		expect(dl.route!.public).toBe(true);
		expect((dl.raw as Buffer).subarray(0, 4).toString('hex')).toBe('504b0304');
		const tampered = await call(s, 'GET', url.replace(/sig=[^&]+/, 'sig=abc'));
		expect(tampered.status).toBe(403);
		clock.t += 11 * 60000;
		expect((await call(s, 'GET', url)).status).toBe(403);
	});
});
