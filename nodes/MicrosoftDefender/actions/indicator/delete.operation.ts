import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { validateValue } from '../../helpers/validate';
import { toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'Indicator ID',
		name: 'indicatorId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 995',
		description: 'The ID of the indicator (a number), as returned by Get Many or Create or Update',
	},
];

const displayOptions = { show: { resource: ['indicator'], operation: ['delete'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = validateValue(this.getNode(), 'indicatorId', this.getNodeParameter('indicatorId', i), {
		parameter: 'Indicator ID',
		itemIndex: i,
	});
	await mdeRequest.call(this, {
		method: 'DELETE',
		path: `/api/indicators/${encodeURIComponent(id)}`,
		itemIndex: i,
		operation: OPERATIONS.indicator.delete,
	});
	return toItems.call(this, { deleted: true, id }, i);
}
