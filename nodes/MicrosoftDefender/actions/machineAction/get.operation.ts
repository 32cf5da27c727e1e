import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getMachineAction } from '../../helpers/machineActions';
import { validateValue } from '../../helpers/validate';
import { actionIdProperty, toItems } from './common';

const properties: INodeProperties[] = [actionIdProperty];

const displayOptions = { show: { resource: ['machineAction'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const actionId = validateValue(this.getNode(), 'machineActionId', this.getNodeParameter('actionId', i), {
		parameter: 'Machine Action ID',
		itemIndex: i,
	});
	const action = await getMachineAction.call(this, actionId.toLowerCase(), i, {
		resource: 'machineAction',
		operation: 'get',
	});
	return toItems.call(this, action, i);
}
