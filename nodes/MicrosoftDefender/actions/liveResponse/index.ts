import type { INodeProperties } from 'n8n-workflow';

import * as deleteLibraryFile from './deleteLibraryFile.operation';
import * as getFile from './getFile.operation';
import * as listLibraryFiles from './listLibraryFiles.operation';
import * as putFile from './putFile.operation';
import * as runCommands from './runCommands.operation';
import * as runScript from './runScript.operation';
import * as uploadLibraryFile from './uploadLibraryFile.operation';

export { deleteLibraryFile, getFile, listLibraryFiles, putFile, runCommands, runScript, uploadLibraryFile };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['liveResponse'] } },
		options: [
			{ name: 'Delete Library File', value: 'deleteLibraryFile', action: 'Delete a file from the live response library' },
			{ name: 'Get File', value: 'getFile', action: 'Collect a file from a machine' },
			{ name: 'List Library Files', value: 'listLibraryFiles', action: 'List the live response library files' },
			{ name: 'Put File', value: 'putFile', action: 'Put a library file on a machine' },
			{ name: 'Run Commands', value: 'runCommands', action: 'Run a list of live response commands' },
			{ name: 'Run Script', value: 'runScript', action: 'Run a library script on a machine' },
			{ name: 'Upload Library File', value: 'uploadLibraryFile', action: 'Upload a file to the live response library' },
		],
		default: 'getFile',
	},
	...deleteLibraryFile.description,
	...getFile.description,
	...listLibraryFiles.description,
	...putFile.description,
	...runCommands.description,
	...runScript.description,
	...uploadLibraryFile.description,
];
