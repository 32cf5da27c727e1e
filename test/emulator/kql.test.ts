import { huntingTable } from './data/hunting';
import { DefenderStore } from './data/store';
import { KQL_ROW_CAP, KqlError, parseTimespan, runKql } from './kql';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const store = new DefenderStore({ seed: 5, machines: 12, alerts: 200, huntingRows: 3000, now: () => NOW });
const run = (q: string) => runKql(q, { now: NOW, resolveTable: (n) => huntingTable(store, n) });
const fails = (q: string, re: RegExp) => {
	expect(() => run(q)).toThrow(KqlError);
	expect(() => run(q)).toThrow(re);
};

describe('tables', () => {
	test('generated lazily with schemas; AlertInfo mirrors alerts', () => {
		for (const t of ['DeviceInfo', 'DeviceNetworkEvents', 'DeviceProcessEvents', 'AlertInfo', 'AlertEvidence']) {
			const r = run(`${t} | take 5`);
			expect(r.rows.length).toBe(5);
			expect(r.columns[0]).toEqual({ name: 'Timestamp', type: 'DateTime' });
			expect(Object.keys(r.rows[0])).toEqual(r.columns.map((c) => c.name));
		}
		expect(run('DeviceProcessEvents | count').rows).toEqual([{ Count: 3000 }]);
		const ai = run(`AlertInfo | where AlertId == '${store.alerts[199].id}'`);
		expect(ai.rows[0]).toMatchObject({ Title: store.alerts[199].title });
	});
});

describe('operators', () => {
	test('where with ==, !=, =~, contains, has, startswith, in, and/or, not, ago, datetime', () => {
		const r1 = run("DeviceProcessEvents | where FileName =~ 'POWERSHELL.EXE' | project FileName");
		expect(r1.rows.length).toBeGreaterThan(0);
		expect(r1.rows.every((r) => r.FileName === 'powershell.exe')).toBe(true);
		expect(run("DeviceProcessEvents | where FileName == 'POWERSHELL.EXE'").rows).toHaveLength(0);
		const r2 = run("DeviceProcessEvents | where ProcessCommandLine contains 'URLCACHE' and FileName != 'cmd.exe'");
		expect(r2.rows.every((r) => (r.ProcessCommandLine as string).toLowerCase().includes('urlcache'))).toBe(true);
		expect(run("DeviceProcessEvents | where ProcessCommandLine has 'whoami'").rows.length).toBeGreaterThan(0);
		expect(run("DeviceProcessEvents | where ProcessCommandLine has 'whoam'").rows).toHaveLength(0);
		expect(run("DeviceNetworkEvents | where RemoteUrl startswith 'evil' | take 3").rows.every((r) => r.RemoteUrl === 'evil-c2.example')).toBe(true);
		const r3 = run('DeviceNetworkEvents | where Timestamp > ago(1d)');
		const r4 = run('DeviceNetworkEvents | where Timestamp > ago(7d)');
		expect(r3.rows.length).toBeGreaterThan(0);
		expect(r4.rows.length).toBeGreaterThan(r3.rows.length);
		expect(r3.rows.every((r) => (r.Timestamp as string) > '2026-11-21T12:00:00')).toBe(true);
		const r5 = run('DeviceNetworkEvents | where Timestamp >= datetime(2026-11-21) and Timestamp < datetime(2026-11-22T00:00:00Z)');
		expect(r5.rows.every((r) => (r.Timestamp as string).startsWith('2026-11-21'))).toBe(true);
		const r6 = run("DeviceNetworkEvents | where RemotePort in (3389, 445) or (ActionType == 'ConnectionFailed' and not(RemotePort == 443))");
		expect(r6.rows.every((r) => [3389, 445].includes(r.RemotePort as number) || (r.ActionType === 'ConnectionFailed' && r.RemotePort !== 443))).toBe(true);
		expect(run("DeviceNetworkEvents | where RemoteUrl !contains '.' | take 5").rows.every((r) => !(r.RemoteUrl as string).includes('.'))).toBe(true);
	});
	test('project (rename), take/limit, order by (default desc), top, summarize count() by, distinct', () => {
		const p = run('DeviceInfo | project Name = DeviceName, DeviceId | limit 2');
		expect(p.columns).toEqual([
			{ name: 'Name', type: 'String' },
			{ name: 'DeviceId', type: 'String' },
		]);
		const o = run('DeviceNetworkEvents | order by Timestamp | take 50');
		const ts = o.rows.map((r) => r.Timestamp as string);
		expect(ts).toEqual([...ts].sort().reverse());
		const oa = run('DeviceNetworkEvents | sort by RemotePort asc, Timestamp desc | take 50');
		expect(oa.rows[0].RemotePort).toBe(80);
		const t = run('DeviceNetworkEvents | top 3 by LocalPort');
		expect(t.rows).toHaveLength(3);
		expect(t.rows[0].LocalPort as number).toBeGreaterThanOrEqual(t.rows[2].LocalPort as number);
		const s = run('DeviceProcessEvents | summarize count() by FileName');
		expect(s.columns).toEqual([
			{ name: 'FileName', type: 'String' },
			{ name: 'count_', type: 'Int64' },
		]);
		expect(s.rows.reduce((n, r) => n + (r.count_ as number), 0)).toBe(3000);
		const s2 = run("AlertInfo | summarize Alerts = count() by Severity, Category | where Alerts > 0 | order by Alerts desc");
		expect(s2.columns.map((c) => c.name)).toEqual(['Severity', 'Category', 'Alerts']);
		expect(run('AlertInfo | summarize count()').rows).toEqual([{ count_: 200 }]);
		expect(run('DeviceInfo | distinct DeviceId').rows).toHaveLength(12);
	});
	test('errors: syntax, unknown table/column, unsupported operators/functions, empty', () => {
		fails('', /empty/);
		fails('   ', /empty/);
		fails('NoSuchTable | take 1', /Failed to resolve table or column expression named 'NoSuchTable'/);
		fails("DeviceInfo | where devicename == 'x'", /Failed to resolve scalar expression named 'devicename'.*case-sensitive/);
		fails('DeviceInfo | where', /Syntax error/);
		fails('DeviceInfo | take', /Syntax error/);
		fails("DeviceInfo | where DeviceName == 'x", /Syntax error/);
		fails('DeviceInfo | join (DeviceNetworkEvents) on DeviceId', /'join' operator/);
		fails('DeviceInfo | extend x = 1', /'extend' operator/);
		fails('DeviceInfo | summarize dcount(DeviceId)', /aggregation other than count/);
		fails("DeviceInfo | where strlen(DeviceName) > 3", /function 'strlen\(\)'/);
		fails('let x = 1; DeviceInfo', /does not support/);
		fails("DeviceInfo | where Timestamp > '2024-01-01'", /Cannot compare values of types datetime and string/);
		fails('DeviceInfo | where Timestamp > ago(7)', /ago\(\) expects a timespan/);
		fails('DeviceInfo | where DeviceName', /predicate must be a Boolean/);
		expect(run('DeviceInfo | where IsAzureADJoined | take 1').rows.length).toBeLessThanOrEqual(1);
	});
	test('row cap is 100,000', () => {
		const big = { columns: [{ name: 'N', type: 'Int64' as const }], rows: Array.from({ length: KQL_ROW_CAP + 5 }, (_, i) => ({ N: i })) };
		const r = runKql('Big | where N >= 0', { now: NOW, resolveTable: (n) => (n === 'Big' ? big : undefined) });
		expect(r.rows).toHaveLength(KQL_ROW_CAP);
		expect(r.truncated).toBe(true);
	});
	test('Graph Timespan forms', () => {
		expect(parseTimespan('P7D', NOW)).toEqual(['2026-11-15T12:00:00.0000000Z', '2026-11-22T12:00:00.0000000Z']);
		expect(parseTimespan('PT12H', NOW)[0]).toBe('2026-11-22T00:00:00.0000000Z');
		expect(parseTimespan('2026-11-01T00:00:00Z/2026-11-02T00:00:00Z', NOW)).toEqual(['2026-11-01T00:00:00.0000000Z', '2026-11-02T00:00:00.0000000Z']);
		expect(parseTimespan('P1D/2026-11-02T00:00:00Z', NOW)[0]).toBe('2026-11-01T00:00:00.0000000Z');
		expect(parseTimespan('2026-11-01T00:00:00Z/P1D', NOW)[1]).toBe('2026-11-02T00:00:00.0000000Z');
		expect(parseTimespan('2026-11-20T00:00:00Z', NOW)).toEqual(['2026-11-20T00:00:00.0000000Z', '2026-11-22T12:00:00.0000000Z']);
		expect(() => parseTimespan('last week', NOW)).toThrow(KqlError);
	});
});

describe('robustness', () => {
	test('random token soup only ever yields a result or a KqlError (→ 400, never 500)', () => {
		const parts = ['DeviceInfo', '|', 'where', 'project', 'take', '10', 'DeviceName', '==', '!=', "'x'", '"y"', 'and', 'or', 'ago(1d)', 'ago', '(', ')', 'Timestamp', '>', 'summarize', 'count()', 'by', 'OSPlatform', 'order', 'sort', 'desc', 'asc', 'top', 'has', 'contains', '!', 'in', ',', 'datetime(2024-01-01)', 'not', '=', 'x', ';', 'count', 'distinct', '7d'];
		let seed = 7;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
		for (let i = 0; i < 5000; i++) {
			const n = 1 + Math.floor(rnd() * 10);
			const q = (rnd() < 0.7 ? 'DeviceInfo ' : '') + Array.from({ length: n }, () => parts[Math.floor(rnd() * parts.length)]).join(' ');
			try {
				run(q);
			} catch (e) {
				if (!(e instanceof KqlError)) expect(`${q} → ${(e as Error).message}`).toBe('a KqlError');
			}
		}
	});
});
