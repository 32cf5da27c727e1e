import type { INodeProperties } from 'n8n-workflow';

import * as deleteLibraryFile from './deleteLibraryFile.operation';
import * as getFile from './getFile.operation';
import * as listLibraryFiles from './listLibraryFiles.operation';
import * as putFile from './putFile.operation';
import * as runCommands from './runCommands.operation';
import * as runScript from './runScript.operation';
import * as uploadLibraryFile from './uploadLibraryFile.operation';
import type { OperationParameter } from '../operations';

export { deleteLibraryFile, getFile, listLibraryFiles, putFile, runCommands, runScript, uploadLibraryFile };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['liveResponse'] } },
		options: [
			{ name: 'Delete Library File', value: 'deleteLibraryFile', action: 'Delete a file from the live response library', description: 'Remove a file from the tenant\'s live response library' },
			{ name: 'Get File', value: 'getFile', action: 'Collect a file from a machine', description: 'Collect a file from a machine as binary data' },
			{ name: 'List Library Files', value: 'listLibraryFiles', action: 'List the live response library files', description: 'List the scripts and files in the live response library' },
			{ name: 'Put File', value: 'putFile', action: 'Put a library file on a machine', description: 'Copy a library file to a machine' },
			{ name: 'Run Commands', value: 'runCommands', action: 'Run a list of live response commands', description: 'Run several live response commands in one session on a machine' },
			{ name: 'Run Script', value: 'runScript', action: 'Run a library script on a machine', description: 'Run a script from the live response library on a machine' },
			{ name: 'Upload Library File', value: 'uploadLibraryFile', action: 'Upload a file to the live response library', description: 'Add a script or file to the live response library' },
		],
		default: 'getFile',
	} satisfies OperationParameter<'liveResponse'>,
	...deleteLibraryFile.description,
	...getFile.description,
	...listLibraryFiles.description,
	...putFile.description,
	...runCommands.description,
	...runScript.description,
	...uploadLibraryFile.description,
];
