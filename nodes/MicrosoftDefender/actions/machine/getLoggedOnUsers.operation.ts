import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { toItems } from '../common';
import { ipOptions, machineLocator, resolveMachine } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	machineLocator,
	ipOptions,
];

const displayOptions = { show: { resource: ['machine'], operation: ['getLoggedOnUsers'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Users who logged on to the machine (last 30 days): one item per user. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const operation = OPERATIONS.machine.getLoggedOnUsers;
	const { id } = await resolveMachine.call(this, i, operation);
	const response = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machines/${encodeURIComponent(id)}/logonusers`,
		itemIndex: i,
		operation,
	});
	const users = Array.isArray(response.value) ? (response.value as IDataObject[]) : [];
	return toItems.call(this, users, i);
}
