import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { returnAllOrLimit } from '../../descriptions/common';
import { defenderApiRequestAllItems } from '../../transport';
import { validateValue } from '../../helpers/validate';
import { readReturnAllLimit, toItems } from '../common';
import { softwareIdProperty } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	softwareIdProperty,
	...returnAllOrLimit,
];

const displayOptions = { show: { resource: ['software'], operation: ['getMachines'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Machines with the software installed (machine references: id, name, OS, device group). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = validateValue(this.getNode(), 'softwareId', this.getNodeParameter('softwareId', i), {
		parameter: 'Software ID',
		itemIndex: i,
	});
	const limit = readReturnAllLimit(this, i);
	const machines = await defenderApiRequestAllItems.call(
		this,
		{
			api: 'mde',
			method: 'GET',
			path: `/api/Software/${encodeURIComponent(id)}/machineReferences`,
			itemIndex: i,
			operation: OPERATIONS.software.getMachines,
		},
		{ endpoint: 'mdeSoftwareMachines', limit },
	);
	return toItems.call(this, machines, i);
}
