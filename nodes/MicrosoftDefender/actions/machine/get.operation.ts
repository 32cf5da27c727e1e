import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { simplifyParameter } from '../../descriptions/common';
import { mdeRequest } from '../../transport/mde';
import { toItems } from '../common';
import { ipOptions, machineLocator, machineOutput, resolveMachine } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [machineLocator, ipOptions, simplifyParameter];

const displayOptions = { show: { resource: ['machine'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Get a machine by ID, by computer name, or by the IP address it used; simplified like Get Many. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const operation = OPERATIONS.machine.get;
	const resolved = await resolveMachine.call(this, i, operation);
	const machine: IDataObject =
		resolved.machine ??
		(await mdeRequest.call(this, {
			method: 'GET',
			path: `/api/machines/${encodeURIComponent(resolved.id)}`,
			itemIndex: i,
			operation,
		}));
	const simplify = this.getNodeParameter('simplify', i, true) as boolean;
	return toItems.call(this, machineOutput(machine, simplify), i);
}
