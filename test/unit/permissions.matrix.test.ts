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

import { OPERATION_PERMISSIONS, requiredPermissions, type OperationPermission } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { byId, run, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';

const rl = (value: string) => ({ __rl: true, mode: 'id', value });
const key = (p: Pick<OperationPermission, 'resource' | 'operation' | 'api'>) => `${p.resource}.${p.operation}.${p.api}`;

let emu: Emulator;
let windowsUsed = 0;
/** A Windows machine no earlier case touched (response actions must not meet a pending one). */
const freshWindowsMachine = () => String(windowsMachine(emu, windowsUsed++).id);

/** Default-option parameters per operation. A new operation without a case fails the first test. */
type App = { clientId: string; secret: string };
const CASES: Record<string, (app: App) => Promise<Record<string, unknown>> | Record<string, unknown>> = {
	'alert.getAll.graph': () => ({ resource: 'alert', operation: 'getAll' }),
	'alert.get.graph': () => ({ resource: 'alert', operation: 'get', alertId: rl(String(storeOf(emu).alerts[0].id)) }),
	'alert.update.graph': () => ({ resource: 'alert', operation: 'update', alertId: rl(String(storeOf(emu).alerts[1].id)), updateFields: { status: 'inProgress' } }),
	'alert.addComment.graph': () => ({ resource: 'alert', operation: 'addComment', alertId: rl(String(storeOf(emu).alerts[2].id)), comment: 'matrix' }),
	'alert.getAll.mde': () => ({ resource: 'alert', operation: 'getAll', api: 'mde' }),
	'alert.get.mde': () => ({ resource: 'alert', operation: 'get', api: 'mde', alertId: rl(String(storeOf(emu).alerts[3].id)) }),
	'alert.update.mde': () => ({ resource: 'alert', operation: 'update', api: 'mde', alertId: rl(String(storeOf(emu).alerts[4].id)), updateFields: { status: 'inProgress' } }),
	'alert.addComment.mde': () => ({ resource: 'alert', operation: 'addComment', api: 'mde', alertId: rl(String(storeOf(emu).alerts[5].id)), comment: 'matrix' }),
	'incident.getAll.graph': () => ({ resource: 'incident', operation: 'getAll' }),
	'incident.get.graph': () => ({ resource: 'incident', operation: 'get', incidentId: rl(String(storeOf(emu).incidents[0].incidentId)) }),
	'incident.update.graph': () => ({ resource: 'incident', operation: 'update', incidentId: rl(String(storeOf(emu).incidents[1].incidentId)), updateFields: { status: 'active' } }),
	'incident.addComment.graph': () => ({ resource: 'incident', operation: 'addComment', incidentId: rl(String(storeOf(emu).incidents[2].incidentId)), comment: 'matrix' }),
	'advancedHunting.runQuery.graph': () => ({ resource: 'advancedHunting', operation: 'runQuery', query: 'DeviceInfo | take 1' }),
	'advancedHunting.runQuery.mde': () => ({ resource: 'advancedHunting', operation: 'runQuery', api: 'mde', query: 'DeviceInfo | take 1' }),
	'machine.getAll.mde': () => ({ resource: 'machine', operation: 'getAll' }),
	'machine.get.mde': () => ({ resource: 'machine', operation: 'get', machineId: byId(String(storeOf(emu).machines[0].id)) }),
	'machine.getLoggedOnUsers.mde': () => ({ resource: 'machine', operation: 'getLoggedOnUsers', machineId: byId(String(storeOf(emu).machines[0].id)) }),
	'machine.addTag.mde': () => ({ resource: 'machine', operation: 'addTag', machineId: byId(String(storeOf(emu).machines[1].id)), tag: 'matrix' }),
	'machine.removeTag.mde': () => ({ resource: 'machine', operation: 'removeTag', machineId: byId(String(storeOf(emu).machines[1].id)), tag: 'matrix' }),
	'machine.isolate.mde': () => ({ resource: 'machine', operation: 'isolate', machineId: byId(freshWindowsMachine()) }),
	'machine.release.mde': () => ({ resource: 'machine', operation: 'release', machineId: byId(freshWindowsMachine()) }),
	'machine.runAntivirusScan.mde': () => ({ resource: 'machine', operation: 'runAntivirusScan', machineId: byId(freshWindowsMachine()) }),
	'machine.restrictAppExecution.mde': () => ({ resource: 'machine', operation: 'restrictAppExecution', machineId: byId(freshWindowsMachine()) }),
	'machine.removeAppRestriction.mde': () => ({ resource: 'machine', operation: 'removeAppRestriction', machineId: byId(freshWindowsMachine()) }),
	'machine.collectInvestigationPackage.mde': () => ({ resource: 'machine', operation: 'collectInvestigationPackage', machineId: byId(freshWindowsMachine()) }),
	'machine.stopAndQuarantineFile.mde': () => ({ resource: 'machine', operation: 'stopAndQuarantineFile', machineId: byId(freshWindowsMachine()), sha1: 'a'.repeat(40) }),
	'machine.offboard.mde': () => ({ resource: 'machine', operation: 'offboard', machineId: byId(freshWindowsMachine()) }),
	'machineAction.get.mde': () => ({ resource: 'machineAction', operation: 'get', actionId: pendingAction() }),
	'machineAction.getAll.mde': () => ({ resource: 'machineAction', operation: 'getAll' }),
	'machineAction.cancel.mde': () => ({ resource: 'machineAction', operation: 'cancel', actionId: pendingAction(), comment: 'matrix' }),
	'indicator.getAll.mde': () => ({ resource: 'indicator', operation: 'getAll' }),
	'indicator.createOrUpdate.mde': () => ({ resource: 'indicator', operation: 'createOrUpdate', indicatorType: 'DomainName', indicatorValue: `matrix-${indicators++}.example.com`, action: 'Block', title: 'matrix', description: 'matrix' }),
	'indicator.delete.mde': async (app) => {
		// Ti.ReadWrite manages the app's own indicators only: the app under test creates it when it can.
		const create = { resource: 'indicator', operation: 'createOrUpdate', indicatorType: 'DomainName', indicatorValue: `gone-${indicators++}.example.com`, action: 'Block', title: 't', description: 'd' };
		const [created] = await run(emu, create, { app }).catch(async () => await run(emu, create));
		return { resource: 'indicator', operation: 'delete', indicatorId: String(created.json.id) };
	},
	'vulnerability.getAll.mde': () => ({ resource: 'vulnerability', operation: 'getAll' }),
	'vulnerability.getAllForMachine.mde': () => ({ resource: 'vulnerability', operation: 'getAllForMachine', machineId: byId(String(storeOf(emu).machines[0].id)) }),
	'liveResponse.runScript.mde': () => {
		libraryFile(`matrix-${library++}.ps1`);
		return { resource: 'liveResponse', operation: 'runScript', machineId: byId(fastMachine()), scriptName: `matrix-${library - 1}.ps1`, pollInterval: 1 };
	},
	'liveResponse.getFile.mde': () => ({ resource: 'liveResponse', operation: 'getFile', machineId: byId(fastMachine()), path: 'C:\\matrix.txt', pollInterval: 1 }),
	'liveResponse.putFile.mde': () => {
		libraryFile(`matrix-${library++}.exe`);
		return { resource: 'liveResponse', operation: 'putFile', machineId: byId(fastMachine()), fileName: `matrix-${library - 1}.exe`, pollInterval: 1 };
	},
	'liveResponse.runCommands.mde': () => ({
		resource: 'liveResponse',
		operation: 'runCommands',
		machineId: byId(fastMachine()),
		commands: { command: [{ type: 'GetFile', value: 'C:\\matrix.txt' }] },
		pollInterval: 1,
	}),
	'liveResponse.listLibraryFiles.mde': () => ({ resource: 'liveResponse', operation: 'listLibraryFiles' }),
	'liveResponse.uploadLibraryFile.mde': () => ({
		resource: 'liveResponse',
		operation: 'uploadLibraryFile',
		fileName: `upload-${library++}.ps1`,
		__items: [{ json: {}, binary: { data: { data: Buffer.from('Write-Output 1').toString('base64'), mimeType: 'text/plain', fileName: 'x.ps1' } } }],
	}),
	'liveResponse.deleteLibraryFile.mde': () => {
		libraryFile(`matrix-${library++}.ps1`);
		return { resource: 'liveResponse', operation: 'deleteLibraryFile', fileName: `matrix-${library - 1}.ps1` };
	},
	'software.get.mde': () => ({ resource: 'software', operation: 'get', softwareId: String(storeOf(emu).software[0].id) }),
	'software.getMachines.mde': () => ({ resource: 'software', operation: 'getMachines', softwareId: String(storeOf(emu).software[0].id) }),
};

let indicators = 0;
let library = 0;
/** A library file put there by someone else (the portal). */
function libraryFile(fileName: string) {
	storeOf(emu).liveResponse.uploadLibraryFile({ fileName, content: Buffer.from('x'), override: true, createdBy: 'soc@contoso.com' });
}
/** A fresh Windows machine whose live response sessions finish at once (the others stay pending). */
function fastMachine(): string {
	const id = freshWindowsMachine();
	storeOf(emu).setActionBehaviour(id, { pendingMs: 50, inProgressMs: 50 });
	return id;
}
/** A new pending action (made in the store, as another console or app would). */
function pendingAction(): string {
	const store = storeOf(emu);
	const machine = store.getMachine(freshWindowsMachine());
	return String(store.createAction(machine, 'Isolate', { comment: 'by someone else', requestor: 'soc@contoso.com' }).action.id);
}

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
	// Strict (the default); actions stay Pending so cancel has something to cancel.
	emu = await startEmu({ sizes: { machines: 80, alerts: 20, incidents: 10, huntingRows: 5 }, actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 } });
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
