import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getMachineAction, waitForMachineAction } from '../../helpers/machineActions';
import { validateValue } from '../../helpers/validate';
import { waitProperties } from '../machine/common';
import { actionIdProperty, toItems } from './common';

const properties: INodeProperties[] = [actionIdProperty, ...waitProperties()];

const displayOptions = { show: { resource: ['machineAction'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/**
 * Get a machine action. With Wait for Completion, polls until the action is final (or the
 * timeout passes: then `waitTimedOut: true`), e.g. for an action started in an earlier run.
 */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const operation = { resource: 'machineAction', operation: 'get' };
	const actionId = validateValue(this.getNode(), 'machineActionId', this.getNodeParameter('actionId', i), {
		parameter: 'Machine Action ID',
		itemIndex: i,
	});
	let action = await getMachineAction.call(this, actionId.toLowerCase(), i, operation);
	if (this.getNodeParameter('waitForCompletion', i, false) as boolean) {
		action = await waitForMachineAction.call(this, action, {
			pollIntervalSeconds: this.getNodeParameter('pollInterval', i, 15) as number,
			timeoutSeconds: this.getNodeParameter('waitTimeout', i, 600) as number,
			itemIndex: i,
			operation,
		});
	}
	return toItems.call(this, action, i);
}
