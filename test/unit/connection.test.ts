import type { IDataObject } from 'n8n-workflow';

import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { OPERATION_PERMISSIONS } from '../../nodes/MicrosoftDefender/actions/operations';
import { requiredPermissions } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { resetTransportState } from '../../nodes/MicrosoftDefender/transport';
import { startEmulator, FIXTURE, type EmulatorHandle } from '../emulator';
import { emulatorCredentials, runNode } from '../harness';

let emu: EmulatorHandle;
const node = new MicrosoftDefender();

beforeAll(async () => {
	emu = await startEmulator({ sizes: { machines: 2, alerts: 2, incidents: 2 } });
});
afterAll(async () => {
	await emu.close();
	resetTransportState();
});

async function doctor(app: 'full' | 'readonly' | 'noroles' | 'expired', extra: IDataObject = {}) {
	const out = await runNode(node, {
		parameters: { resource: 'connection', operation: 'checkPermissions', ...extra },
		credentials: emulatorCredentials(emu, { app, tenant: 'A' }),
	});
	return out[0].map((i) => i.json);
}

/** Both outputs: one item per operation, and the Summary Only item (the same rows nested). */
async function report(app: 'full' | 'readonly' | 'noroles' | 'expired') {
	const rows = await doctor(app);
	const summaries = await doctor(app, { summaryOnly: true });
	expect(summaries).toHaveLength(1);
	const summary = summaries[0];
	expect(summary.operations).toEqual(rows);
	return [summary, ...rows];
}

/** Field names every per-operation item has (n8n's table view needs the same columns on each). */
const ROW_FIELDS = ['displayName', 'allowed', 'grantThis', 'howToFix', 'resource', 'operation', 'api', 'apiName', 'requiredAllOf', 'grantedBy', 'optional', 'tenant'];

/** Expected verdict for an app from the fixture's granted roles. */
function expectRows(rows: IDataObject[], app: 'full' | 'readonly' | 'noroles') {
	const granted = FIXTURE.apps[app].roles as Record<string, readonly string[]>;
	expect(rows).toHaveLength(OPERATION_PERMISSIONS.length);
	OPERATION_PERMISSIONS.forEach((p, idx) => {
		const row = rows[idx];
		const required = requiredPermissions(p);
		const expected = required.every((g) => g.some((r) => granted[p.api].includes(r)));
		expect({ op: `${p.resource}.${p.operation}.${p.api}`, allowed: row.allowed }).toEqual({
			op: `${p.resource}.${p.operation}.${p.api}`,
			allowed: expected,
		});
		expect(row).toMatchObject({ resource: p.resource, operation: p.operation, api: p.api, requiredAllOf: required });
		expect(row.apiName).toBe({ mde: 'WindowsDefenderATP', graph: 'Microsoft Graph' }[p.api]);
		expect(Object.keys(row)).toEqual(ROW_FIELDS);
		if (expected) {
			expect(row.grantThis).toEqual([]);
			expect(row.howToFix).toBe('');
		} else {
			const missing = required.filter((g) => !g.some((r) => granted[p.api].includes(r))).map((g) => g[0]);
			expect(row.grantThis).toEqual(missing);
			for (const m of missing) expect(String(row.howToFix)).toContain(m);
			expect(String(row.howToFix)).toContain('Grant admin consent');
		}
	});
}

describe('Connection → Check Permissions (permission doctor)', () => {
	it('full app: one item per operation with the same fields, right verdicts; Summary Only nests them', async () => {
		const [summary, ...rows] = await report('full');
		expect(summary).toMatchObject({ tenant: FIXTURE.tenants.A.id, deniedOperations: 0, howToFix: '', missingPermissions: [] });
		expect(rows.every((r) => r.tenant === FIXTURE.tenants.A.id)).toBe(true);
		expect((summary.apis as IDataObject[]).every((a) => a.tokenIssued)).toBe(true);
		expectRows(rows, 'full');
	});

	it('read-only app: reads allowed, writes and response actions denied with the role to grant', async () => {
		const [summary, ...rows] = await report('readonly');
		expectRows(rows, 'readonly');
		const isolate = rows.find((r) => r.operation === 'isolate')!;
		expect(isolate).toMatchObject({ allowed: false, grantThis: ['Machine.Isolate'], apiName: 'WindowsDefenderATP' });
		const missing = summary.missingPermissions as IDataObject[];
		expect(missing.map((m) => m.permission)).toEqual(expect.arrayContaining(['Machine.Isolate', 'SecurityAlert.ReadWrite.All']));
		expect(summary.deniedOperations).toBeGreaterThan(0);
		expect(summary.allowedOperations).toBeGreaterThan(0);
	});

	it('app without roles: every operation denied, tokens still issued', async () => {
		const [summary, ...rows] = await report('noroles');
		expectRows(rows, 'noroles');
		expect(summary.allowedOperations).toBe(0);
		expect((summary.apis as IDataObject[]).map((a) => a.roles)).toEqual([[], []]);
	});

	it('a family whose token fails is reported, not fatal', async () => {
		const out = await runNode(node, {
			parameters: { resource: 'connection', operation: 'checkPermissions', summaryOnly: true },
			credentials: { ...emulatorCredentials(emu, { app: 'full', tenant: 'A' }), graphScope: 'https://nowhere.example.com/.default' },
		});
		expect(out[0]).toHaveLength(1);
		const apis = out[0][0].json.apis as IDataObject[];
		expect(apis.find((a) => a.api === 'graph')).toMatchObject({ tokenIssued: false });
		expect(String(apis.find((a) => a.api === 'graph')!.error)).toContain('AADSTS500011');
		expect(apis.find((a) => a.api === 'mde')).toMatchObject({ tokenIssued: true });
	});

	it('expired secret: every family reports the fix', async () => {
		const [summary, ...rows] = await report('expired');
		expect((summary.apis as IDataObject[]).every((a) => !a.tokenIssued && String(a.error).includes('AADSTS7000222'))).toBe(true);
		expect(rows.every((r) => r.allowed === false && String(r.howToFix).includes('expired'))).toBe(true);
	});
});
