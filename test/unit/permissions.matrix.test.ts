/**
 * Least-privilege matrix. For every row of the README permission table (OPERATION_PERMISSIONS):
 *  - an app holding exactly the row's permissions runs the operation with default options
 *    against the strict emulator and succeeds, and Check Permissions says "allowed";
 *  - with any one of them removed the operation fails with an error naming the missing
 *    permission, and Check Permissions says "not allowed" and names it.
 * The emulator's permissions come from its own contract table (test/emulator/contract.ts), not
 * from the package, so a row that is wrong about Microsoft fails here.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { OPERATION_PERMISSIONS } from '../../nodes/MicrosoftDefender/actions/operations';
import { requiredPermissions, type OperationPermission } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { run, startEmu, storeOf, type Emulator } from './node.helpers';
import { CASES_EMULATOR, caseKey, operationCases } from './operation.cases';

let emu: Emulator;
const CASES = operationCases(() => emu);
const key = caseKey;

let appCount = 0;
/** Registers an app holding exactly `roles` on the row's API and returns its credentials. */
function appWith(p: OperationPermission, roles: string[]) {
	const clientId = `bbbbbbbb-0000-4000-8000-${String(++appCount).padStart(12, '0')}`;
	const secret = `matrix-secret-${appCount}`;
	emu.addApp({ name: `MATRIX${appCount}`, clientId, tenants: [storeOf(emu).tenantId], secret, roles: { mde: [], xdr: [], graph: [], [p.api]: roles } });
	return { clientId, secret };
}

async function doctorRow(p: OperationPermission, app: { clientId: string; secret: string }): Promise<IDataObject> {
	const rows = await run(emu, { resource: 'connection', operation: 'checkPermissions' }, { app });
	return rows.map((r) => r.json).find((r) => r.resource === p.resource && r.operation === p.operation && r.api === p.api)!;
}

beforeAll(async () => {
	emu = await startEmu(CASES_EMULATOR);
	expect(emu.mode.strict).toBe(true);
});
afterAll(async () => await emu.close());

it('every row of the permission table has a case (and every case a row)', () => {
	expect(Object.keys(CASES).sort()).toEqual(OPERATION_PERMISSIONS.map(key).sort());
});

describe.each(OPERATION_PERMISSIONS.map((p) => [p.displayName, p] as const))('%s', (_name, p) => {
	const exact = requiredPermissions(p).map((group) => group[0]);

	it(`succeeds with exactly ${exact.join(' + ')}, and Check Permissions agrees`, async () => {
		const app = appWith(p, exact);
		const { __items: items, ...parameters } = await CASES[key(p)](app);
		const out = await run(emu, parameters, { app, items: items as INodeExecutionData[] | undefined });
		expect(out.length).toBeGreaterThanOrEqual(0);
		for (const item of out) expect(item.json.error).toBeUndefined();
		expect(await doctorRow(p, app)).toMatchObject({ allowed: true });
	});

	it.each(exact)('fails naming %s when it is missing, and Check Permissions agrees', async (missing) => {
		const app = appWith(p, exact.filter((r) => r !== missing));
		let error: (Error & { description?: string | null }) | undefined;
		try {
			const { __items: items, ...parameters } = await CASES[key(p)](app);
			await run(emu, parameters, { app, items: items as INodeExecutionData[] | undefined });
		} catch (e) {
			error = e as Error & { description?: string | null };
		}
		expect(error).toBeDefined();
		expect(`${error!.message} ${error!.description ?? ''}`).toContain(missing);
		const row = await doctorRow(p, app);
		expect(row).toMatchObject({ allowed: false });
		expect(row.grantThis).toContain(missing);
	});
});
