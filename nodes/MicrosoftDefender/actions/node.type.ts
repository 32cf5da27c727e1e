import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	alert: 'getAll' | 'get' | 'update' | 'addComment';
	incident: 'getAll' | 'get' | 'update' | 'addComment';
	advancedHunting: 'runQuery';
	machine:
		| 'getAll'
		| 'get'
		| 'isolate'
		| 'release'
		| 'runAntivirusScan'
		| 'restrictAppExecution'
		| 'removeAppRestriction'
		| 'collectInvestigationPackage'
		| 'stopAndQuarantineFile'
		| 'offboard'
		| 'addTag'
		| 'removeTag'
		| 'getLoggedOnUsers';
	machineAction: 'get' | 'getAll' | 'cancel';
	indicator: 'getAll' | 'createOrUpdate' | 'delete';
	liveResponse: 'runScript' | 'getFile' | 'putFile' | 'runCommands' | 'listLibraryFiles' | 'uploadLibraryFile' | 'deleteLibraryFile';
	vulnerability: 'getAll' | 'getAllForMachine';
	software: 'get' | 'getMachines';
	connection: 'checkPermissions';
};

export type MicrosoftDefenderType = AllEntities<NodeMap>;
