/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * The emulator's statement of the contract (contract.ts): it is self-contained, every route has
 * a row, and strict mode enforces it, each seeded variant deterministically.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { startEmulator, type EmulatorHandle } from './index';
import { CONTRACT, variantsForSeed, type EmulatorVariants } from './contract';
import { routes } from './api';
import { DEFAULT_QUOTAS } from './core/quotas';
import { getToken, request } from './core/testkit';

const ROOT = resolve(__dirname, '..', '..');
const MDE = 'https://api.securitycenter.microsoft.com/.default';

function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const p = join(dir, name);
		return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
	});
}

/** Every module specifier a file imports (static, dynamic, require, re-export). */
function specifiers(source: string): string[] {
	const out: string[] = [];
	const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
	for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]);
	return out;
}

describe('the emulator is self-contained', () => {
	it('no file under test/emulator imports from nodes/ or credentials/ (it must not borrow the package beliefs it tests)', () => {
		const offenders: string[] = [];
		for (const file of tsFiles(__dirname)) {
			for (const spec of specifiers(readFileSync(file, 'utf8'))) {
				if (!spec.startsWith('.')) continue;
				const target = relative(ROOT, resolve(dirname(file), spec));
				if (/^(nodes|credentials)(\/|$)/.test(target)) offenders.push(`${relative(ROOT, file)} → ${spec}`);
			}
		}
		expect(offenders).toEqual([]);
	});

	it('the import scan sees every import form (so the test above can fail)', () => {
		// Built at run time so this file does not itself hold the imports it tests for.
		const q = "'";
		const sample = [
			`import { a } from ${q}../../nodes/x${q};`,
			`import type { b } from "../../${'credentials'}/y";`,
			`const c = await import(${q}../../nodes/z${q});`,
			`const d = require(${q}../../nodes/w${q});`,
			`export * from ${q}../../nodes/v${q};`,
		].join('\n');
		expect(specifiers(sample)).toEqual(['../../nodes/x', '../../credentials/y', '../../nodes/z', '../../nodes/w', '../../nodes/v']);
	});
});

describe('contract table', () => {
	it('every route takes its permissions and quota bucket from exactly one row', () => {
		expect(routes).toHaveLength(CONTRACT.length);
		for (const route of routes) {
			const rows = CONTRACT.filter((r) => r.method === route.method && r.path.toLowerCase() === route.path.toLowerCase());
			expect([route.method, route.path, rows.length]).toEqual([route.method, route.path, 1]);
			expect(route.roles).toEqual(rows[0].roles);
			expect(route.quota).toBe(rows[0].limit?.bucket ?? 'mde');
		}
	});

	it('every row cites a Learn page and a sentence, and tags each claim', () => {
		for (const row of CONTRACT) {
			expect(row.page.length).toBeGreaterThan(3);
			for (const basis of [row.rolesBasis, row.queryBasis, row.limit, row.pageCap, ...Object.values(row.body ?? {})]) {
				if (!basis) continue;
				expect(['documented', 'observed', 'assumed']).toContain(basis.tag);
				expect(basis.source.length).toBeGreaterThan(3);
				expect(basis.quote.length).toBeGreaterThan(10);
			}
			if (!row.public) expect(row.roles.length).toBeGreaterThan(0);
		}
	});

	it('quota limits come from the rows (GET /api/machines/{id}/vulnerabilities: 50/min and 1,500/h)', () => {
		expect(DEFAULT_QUOTAS['mde-machine-vulnerabilities']).toEqual({ perMinute: 50, perHour: 1500 });
		expect(DEFAULT_QUOTAS.mde).toEqual({ perMinute: 100, perHour: 1500 });
	});

	it('seeds reach every variant combination, deterministically', () => {
		const seen = new Set<string>();
		for (let seed = 0; seed < 4; seed++) seen.add(JSON.stringify(variantsForSeed(seed)));
		expect(seen.size).toBe(4);
		expect(variantsForSeed(7)).toEqual(variantsForSeed(7));
	});
});

describe('strict mode (default)', () => {
	const emus: EmulatorHandle[] = [];
	afterAll(async () => {
		await Promise.all(emus.map((e) => e.close()));
	});
	async function emulator(variants: Partial<EmulatorVariants>, strict?: { lenient: string }) {
		const emu = await startEmulator({ seed: 3, sizes: { machines: 4, alerts: 6, incidents: 3 }, quotas: false, variants, strict });
		emus.push(emu);
		return emu;
	}
	async function call(emu: EmulatorHandle, method: string, path: string, body?: object, scope = MDE) {
		const token = await getToken(emu.httpUrl, { scope });
		return request(`${emu.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body });
	}

	it('is on unless a test gives a reason', async () => {
		const strict = await emulator({});
		expect(strict.mode).toMatchObject({ strict: true });
		await expect(startEmulator({ strict: { lenient: ' ' } })).rejects.toThrow(/reason/);
		const lenient = await emulator({}, { lenient: 'this test checks the lenient switch itself' });
		expect(lenient.mode).toMatchObject({ strict: false, lenientReason: 'this test checks the lenient switch itself' });
	});

	it("undocumented $top on Get discovered vulnerabilities: the 'refuse' variant answers 400", async () => {
		const emu = await emulator({ undocumentedPaging: 'refuse' });
		const machine = emu.store('A').machines[0].id;
		const res = await call(emu, 'GET', `/api/machines/${machine}/vulnerabilities?$top=1`);
		expect(res.status).toBe(400);
		expect(res.text).toMatch(/\$top.*not supported/);
		expect((await call(emu, 'GET', `/api/machines/${machine}/vulnerabilities`)).status).toBe(200);
	});

	it("undocumented $top/$skip on List devices by software: the 'ignore' variant returns the same page again", async () => {
		const emu = await emulator({ undocumentedPaging: 'ignore' });
		const software = emu.store('A').software.find((s) => emu.store('A').machines.some((m) => m.softwareIdx.includes(emu.store('A').software.indexOf(s))))!;
		const all = await call(emu, 'GET', `/api/software/${software.id}/machineReferences`);
		const skipped = await call(emu, 'GET', `/api/software/${software.id}/machineReferences?$top=1&$skip=1`);
		expect(all.status).toBe(200);
		expect(skipped.status).toBe(200);
		expect(skipped.json.value).toEqual(all.json.value);
		expect((all.json.value as unknown[]).length).toBeGreaterThan(0);
	});

	it('documented OData options still work ($top on List machines)', async () => {
		const emu = await emulator({ undocumentedPaging: 'refuse' });
		const res = await call(emu, 'GET', '/api/machines?$top=1');
		expect(res.status).toBe(200);
		expect(res.json.value).toHaveLength(1);
	});

	it.each([
		['updatePage', 'NotMalicious', 'Clean'],
		['resourcePage', 'Clean', 'NotMalicious'],
	] as const)('MDE alert determination, %s variant: accepts %s, refuses %s', async (variant, accepted, refused) => {
		const emu = await emulator({ determinationSpelling: variant });
		const alert = emu.store('A').alerts[0].id;
		const bad = await call(emu, 'PATCH', `/api/alerts/${alert}`, { classification: 'FalsePositive', determination: refused });
		expect(bad.status).toBe(400);
		const good = await call(emu, 'PATCH', `/api/alerts/${alert}`, { classification: 'FalsePositive', determination: accepted });
		expect(good.status).toBe(200);
	});

	it('indicator actions past end of support (Alert, AlertAndBlock) are refused; lenient mode lets them through', async () => {
		const body = { indicatorValue: '8.8.4.4', indicatorType: 'IpAddress', action: 'AlertAndBlock', title: 't', description: 'd' };
		const strict = await emulator({});
		expect((await call(strict, 'POST', '/api/indicators', body)).status).toBe(400);
		const lenient = await emulator({}, { lenient: 'shows that only strict mode refuses legacy indicator actions' });
		expect((await call(lenient, 'POST', '/api/indicators', body)).status).toBe(200);
	});

	it('exactly the documented permissions: List Indicators refuses Ti.Read.All-only apps (not listed on the page)', async () => {
		const emu = await emulator({});
		emu.addApp({ name: 'TIREAD', clientId: 'aaaaaaaa-0000-4000-8000-0000000000a1', tenants: [emu.store('A').tenantId], secret: 'ti-read-secret', roles: { mde: ['Ti.Read.All'], xdr: [], graph: [] } });
		const token = await getToken(emu.httpUrl, { clientId: 'aaaaaaaa-0000-4000-8000-0000000000a1', secret: 'ti-read-secret', scope: MDE });
		const res = await request(`${emu.httpUrl}/api/indicators`, { headers: { authorization: `Bearer ${token}` } });
		expect(res.status).toBe(403);
		expect(res.text).toMatch(/Ti\.ReadWrite,Ti\.ReadWrite\.All/);
	});
});
