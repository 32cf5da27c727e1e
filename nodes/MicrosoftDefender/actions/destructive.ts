/**
 * Operations that change state in the tenant. As an AI-agent tool they run only when the
 * user opted in, so a model cannot isolate or offboard a machine on its own initiative.
 */
export const DESTRUCTIVE_OPERATIONS: Record<string, string[]> = {
	alert: ['update', 'addComment'],
	incident: ['update', 'addComment'],
	indicator: ['createOrUpdate', 'delete'],
	// Live Response runs code and moves files on devices; the library holds what it runs.
	liveResponse: ['runScript', 'getFile', 'putFile', 'runCommands', 'uploadLibraryFile', 'deleteLibraryFile'],
	machine: [
		'isolate',
		'release',
		'runAntivirusScan',
		'restrictAppExecution',
		'removeAppRestriction',
		'collectInvestigationPackage',
		'stopAndQuarantineFile',
		'offboard',
		'addTag',
		'removeTag',
	],
	machineAction: ['cancel'],
};

export function isDestructive(resource: string, operation: string): boolean {
	return (DESTRUCTIVE_OPERATIONS[resource] ?? []).includes(operation);
}
