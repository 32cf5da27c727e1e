import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { libraryFileName } from './uploadLibraryFile.operation';
import { toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. collect-triage.ps1',
		description: 'The name of the file in the live response library',
	},
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['deleteLibraryFile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const fileName = libraryFileName.call(this, String(this.getNodeParameter('fileName', i)), i);
	await mdeRequest.call(this, {
		method: 'DELETE',
		path: `/api/libraryfiles/${encodeURIComponent(fileName)}`,
		itemIndex: i,
		operation: OPERATIONS.liveResponse.deleteLibraryFile,
	});
	return toItems.call(this, { deleted: true, fileName }, i);
}
