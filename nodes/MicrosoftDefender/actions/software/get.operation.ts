import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { validateValue } from '../../helpers/validate';
import { toItems } from '../common';
import { softwareIdProperty } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [softwareIdProperty];

const displayOptions = { show: { resource: ['software'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = validateValue(this.getNode(), 'softwareId', this.getNodeParameter('softwareId', i), {
		parameter: 'Software ID',
		itemIndex: i,
	});
	const software = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/Software/${encodeURIComponent(id)}`,
		itemIndex: i,
		operation: OPERATIONS.software.get,
	});
	return toItems.call(this, software, i);
}
