import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['listLibraryFiles'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** The scripts and files in the tenant's live response library, one item each. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const body = await mdeRequest.call(this, {
		method: 'GET',
		path: '/api/libraryfiles',
		itemIndex: i,
		operation: OPERATIONS.liveResponse.listLibraryFiles,
	});
	const files = Array.isArray(body.value) ? (body.value as IDataObject[]) : [];
	return toItems.call(this, files, i);
}
