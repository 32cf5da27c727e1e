import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { commentParameter, machineLocator, runSession, sessionItem, waitParameters } from './common';

const properties: INodeProperties[] = [
	machineLocator,
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. tool.exe',
		description:
			"A file in the live response library. It lands in the session's working folder on the machine and is deleted when the machine restarts. Up to 300 MB on Windows, 10 MB on macOS and Linux.",
	},
	commentParameter('File put on the machine by n8n'),
	...waitParameters,
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['putFile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const fileName = String(this.getNodeParameter('fileName', i)).trim();
	const outcome = await runSession.call(this, i, 'putFile', [{ type: 'PutFile', params: [{ key: 'FileName', value: fileName }] }], () => 'data');
	return sessionItem(i, outcome, { fileName });
}
