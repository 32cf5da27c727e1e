import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { validateValue } from '../../helpers/validate';
import { waitProperties } from '../machine/common';
import { getMachineAction, readWaitOptions, waitForMachineAction } from '../machine/machineAction';
import { toItems } from '../common';
import { actionIdProperty } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [actionIdProperty, ...waitProperties()];

const displayOptions = { show: { resource: ['machineAction'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/**
 * Get a machine action. With Wait for Completion, polls until the action is final (or the
 * timeout passes: then `waitTimedOut: true`), e.g. for an action started in an earlier run.
 */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const operation = OPERATIONS.machineAction.get;
	const actionId = validateValue(this.getNode(), 'machineActionId', this.getNodeParameter('actionId', i), {
		parameter: 'Machine Action ID',
		itemIndex: i,
	});
	const wait = readWaitOptions(this, i, operation);
	let action = await getMachineAction.call(this, actionId.toLowerCase(), i, operation);
	if (wait) action = await waitForMachineAction.call(this, action, wait);
	return toItems.call(this, action, i);
}
