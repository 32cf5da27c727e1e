/**
 * Default-option parameters for every permission row of the operation table (actions/operations.ts),
 * keyed `resource.operation.api`. Shared by the least-privilege matrix and the operation table
 * test; both start the emulator with CASES_EMULATOR. A row without a case fails both.
 */
import type { OperationPermission } from '../../nodes/MicrosoftDefender/helpers/permissions';
import type { EmulatorOptions } from '../emulator';
import { byId, run, storeOf, windowsMachine, type Emulator } from './node.helpers';

/** Strict (the default); actions stay Pending so cancel has something to cancel. */
export const CASES_EMULATOR: EmulatorOptions = {
	sizes: { machines: 80, alerts: 20, incidents: 10, huntingRows: 5 },
	actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
};

export const caseKey = (p: Pick<OperationPermission, 'resource' | 'operation' | 'api'>) => `${p.resource}.${p.operation}.${p.api}`;

export type App = { clientId: string; secret: string };
export type Case = (app: App) => Promise<Record<string, unknown>> | Record<string, unknown>;

const rl = (value: string) => ({ __rl: true, mode: 'id', value });

export function operationCases(emu: () => Emulator): Record<string, Case> {
	let windowsUsed = 0;
	/** A Windows machine no earlier case touched (response actions must not meet a pending one). */
	const freshWindowsMachine = () => String(windowsMachine(emu(), windowsUsed++).id);

	let indicators = 0;
	let library = 0;
	/** A library file put there by someone else (the portal). */
	function libraryFile(fileName: string) {
		storeOf(emu()).liveResponse.uploadLibraryFile({ fileName, content: Buffer.from('x'), override: true, createdBy: 'soc@contoso.com' });
	}
	/** A fresh Windows machine whose live response sessions finish at once (the others stay pending). */
	function fastMachine(): string {
		const id = freshWindowsMachine();
		storeOf(emu()).setActionBehaviour(id, { pendingMs: 50, inProgressMs: 50 });
		return id;
	}
	/** A new pending action (made in the store, as another console or app would). */
	function pendingAction(): string {
		const store = storeOf(emu());
		const machine = store.getMachine(freshWindowsMachine());
		return String(store.createAction(machine, 'Isolate', { comment: 'by someone else', requestor: 'soc@contoso.com' }).action.id);
	}

	return {
		'alert.getAll.graph': () => ({ resource: 'alert', operation: 'getAll' }),
		'alert.get.graph': () => ({ resource: 'alert', operation: 'get', alertId: rl(String(storeOf(emu()).alerts[0].id)) }),
		'alert.update.graph': () => ({ resource: 'alert', operation: 'update', alertId: rl(String(storeOf(emu()).alerts[1].id)), updateFields: { status: 'inProgress' } }),
		'alert.addComment.graph': () => ({ resource: 'alert', operation: 'addComment', alertId: rl(String(storeOf(emu()).alerts[2].id)), comment: 'matrix' }),
		'alert.getAll.mde': () => ({ resource: 'alert', operation: 'getAll', api: 'mde' }),
		'alert.get.mde': () => ({ resource: 'alert', operation: 'get', api: 'mde', alertId: rl(String(storeOf(emu()).alerts[3].id)) }),
		'alert.update.mde': () => ({ resource: 'alert', operation: 'update', api: 'mde', alertId: rl(String(storeOf(emu()).alerts[4].id)), updateFields: { status: 'inProgress' } }),
		'alert.addComment.mde': () => ({ resource: 'alert', operation: 'addComment', api: 'mde', alertId: rl(String(storeOf(emu()).alerts[5].id)), comment: 'matrix' }),
		'incident.getAll.graph': () => ({ resource: 'incident', operation: 'getAll' }),
		'incident.get.graph': () => ({ resource: 'incident', operation: 'get', incidentId: rl(String(storeOf(emu()).incidents[0].incidentId)) }),
		'incident.update.graph': () => ({ resource: 'incident', operation: 'update', incidentId: rl(String(storeOf(emu()).incidents[1].incidentId)), updateFields: { status: 'active' } }),
		'incident.addComment.graph': () => ({ resource: 'incident', operation: 'addComment', incidentId: rl(String(storeOf(emu()).incidents[2].incidentId)), comment: 'matrix' }),
		'advancedHunting.runQuery.graph': () => ({ resource: 'advancedHunting', operation: 'runQuery', query: 'DeviceInfo | take 1' }),
		'advancedHunting.runQuery.mde': () => ({ resource: 'advancedHunting', operation: 'runQuery', api: 'mde', query: 'DeviceInfo | take 1' }),
		'machine.getAll.mde': () => ({ resource: 'machine', operation: 'getAll' }),
		'machine.get.mde': () => ({ resource: 'machine', operation: 'get', machineId: byId(String(storeOf(emu()).machines[0].id)) }),
		'machine.getLoggedOnUsers.mde': () => ({ resource: 'machine', operation: 'getLoggedOnUsers', machineId: byId(String(storeOf(emu()).machines[0].id)) }),
		'machine.addTag.mde': () => ({ resource: 'machine', operation: 'addTag', machineId: byId(String(storeOf(emu()).machines[1].id)), tag: 'matrix' }),
		'machine.removeTag.mde': () => ({ resource: 'machine', operation: 'removeTag', machineId: byId(String(storeOf(emu()).machines[1].id)), tag: 'matrix' }),
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
			const [created] = await run(emu(), create, { app }).catch(async () => await run(emu(), create));
			return { resource: 'indicator', operation: 'delete', indicatorId: String(created.json.id) };
		},
		'vulnerability.getAll.mde': () => ({ resource: 'vulnerability', operation: 'getAll' }),
		'vulnerability.getAllForMachine.mde': () => ({ resource: 'vulnerability', operation: 'getAllForMachine', machineId: byId(String(storeOf(emu()).machines[0].id)) }),
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
		'software.get.mde': () => ({ resource: 'software', operation: 'get', softwareId: String(storeOf(emu()).software[0].id) }),
		'software.getMachines.mde': () => ({ resource: 'software', operation: 'getMachines', softwareId: String(storeOf(emu()).software[0].id) }),
	};
}
