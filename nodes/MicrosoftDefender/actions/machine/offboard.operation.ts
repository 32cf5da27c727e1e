import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ResponseActionSpec } from './common';
import {
	commentProperty,
	machineLocator,
	responseActionOptions,
	runResponseAction,
	toItems,
	waitProperties,
} from './common';

const properties: INodeProperties[] = [
	machineLocator,
	commentProperty('Offboarded by n8n', 'Why the machine is offboarded.'),
	...waitProperties(),
	responseActionOptions(),
];

const displayOptions = { show: { resource: ['machine'], operation: ['offboard'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const spec: ResponseActionSpec = {
	operation: 'offboard',
	endpoint: 'offboard',
	type: 'Offboard',
};

/** Offboard a machine from Defender. Returns the MachineAction (final state when waiting). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action } = await runResponseAction.call(this, i, spec);
	return toItems.call(this, action as IDataObject, i);
}
