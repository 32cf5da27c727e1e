import type { INodeProperties } from 'n8n-workflow';

import * as addTag from './addTag.operation';
import * as collectInvestigationPackage from './collectInvestigationPackage.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as getLoggedOnUsers from './getLoggedOnUsers.operation';
import * as removeTag from './removeTag.operation';
import { responseOperation } from './responseAction';
import type { OperationParameter } from '../operations';

// The one-parameter response actions: specs in helpers/responseActions.ts, one runner.
const isolate = responseOperation('isolate');
const offboard = responseOperation('offboard');
const release = responseOperation('release');
const removeAppRestriction = responseOperation('removeAppRestriction');
const restrictAppExecution = responseOperation('restrictAppExecution');
const runAntivirusScan = responseOperation('runAntivirusScan');
const stopAndQuarantineFile = responseOperation('stopAndQuarantineFile');

export {
	addTag,
	collectInvestigationPackage,
	get,
	getAll,
	getLoggedOnUsers,
	isolate,
	offboard,
	release,
	removeAppRestriction,
	removeTag,
	restrictAppExecution,
	runAntivirusScan,
	stopAndQuarantineFile,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['machine'] } },
		options: [
			{ name: 'Add Tag', value: 'addTag', action: 'Add a tag to a machine', description: 'Add a tag to a machine' },
			{
				name: 'Collect Investigation Package',
				value: 'collectInvestigationPackage',
				action: 'Collect an investigation package',
				description: 'Collect forensic data from a machine into a downloadable package',
			},
			{ name: 'Get', value: 'get', action: 'Get a machine', description: 'Retrieve one machine by its ID, name or IP address' },
			{ name: 'Get Logged-On Users', value: 'getLoggedOnUsers', action: 'Get users logged on to a machine', description: 'List the users who logged on to a machine' },
			{ name: 'Get Many', value: 'getAll', action: 'Get many machines', description: 'List the machines of the tenant, with filters' },
			{ name: 'Isolate', value: 'isolate', action: 'Isolate a machine', description: 'Cut a machine off the network (response action)' },
			{ name: 'Offboard', value: 'offboard', action: 'Offboard a machine', description: 'Remove a machine from Defender for Endpoint (response action)' },
			{ name: 'Release', value: 'release', action: 'Release a machine from isolation', description: 'Reconnect an isolated machine to the network (response action)' },
			{ name: 'Remove App Restriction', value: 'removeAppRestriction', action: 'Remove the app execution restriction', description: 'Let a machine run any application again (response action)' },
			{ name: 'Remove Tag', value: 'removeTag', action: 'Remove a tag from a machine', description: 'Remove a tag from a machine' },
			{ name: 'Restrict App Execution', value: 'restrictAppExecution', action: 'Restrict app execution on a machine', description: 'Allow only Microsoft-signed applications to run on a machine (response action)' },
			{ name: 'Run Antivirus Scan', value: 'runAntivirusScan', action: 'Run an antivirus scan on a machine', description: 'Start a Microsoft Defender Antivirus scan on a machine (response action)' },
			{
				name: 'Stop and Quarantine File',
				value: 'stopAndQuarantineFile',
				action: 'Stop and quarantine a file on a machine',
				description: 'Stop a file\'s processes on a machine and quarantine it (response action)',
			},
		],
		default: 'getAll',
	} satisfies OperationParameter<'machine'>,
	...addTag.description,
	...collectInvestigationPackage.description,
	...get.description,
	...getAll.description,
	...getLoggedOnUsers.description,
	...isolate.description,
	...offboard.description,
	...release.description,
	...removeAppRestriction.description,
	...removeTag.description,
	...restrictAppExecution.description,
	...runAntivirusScan.description,
	...stopAndQuarantineFile.description,
];
