import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import {
	binaryPropertyParameter,
	commentParameter,
	machineLocator,
	runSession,
	sessionItem,
	waitParameters,
	withoutCommandKeys,
} from './common';

const properties: INodeProperties[] = [
	machineLocator,
	{
		displayName: 'File Path',
		name: 'path',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. C:\\Windows\\Temp\\suspicious.exe',
		description: 'Full path of the file on the machine (up to 3 GB)',
	},
	binaryPropertyParameter('The collected file, with its file name and MIME type'),
	commentParameter('File collected by n8n'),
	...waitParameters,
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['getFile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Collects a file from the machine into n8n binary data (streamed into n8n's binary store). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const path = String(this.getNodeParameter('path', i)).trim();
	const field = String(this.getNodeParameter('binaryPropertyName', i, 'data')).trim() || 'data';
	const outcome = await runSession.call(this, i, 'getFile', [{ type: 'GetFile', params: [{ key: 'Path', value: path }] }], () => field);
	return sessionItem(i, outcome, withoutCommandKeys(outcome.results[0]?.json ?? { path }));
}
