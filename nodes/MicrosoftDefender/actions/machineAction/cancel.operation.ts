import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { validateValue } from '../../helpers/validate';
import { requireText, toItems } from '../common';
import { actionIdProperty } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	actionIdProperty,
	{
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		required: true,
		default: 'Cancelled by n8n',
		description: "Why the action is cancelled. Shown in the Defender portal's action center.",
	},
];

const displayOptions = { show: { resource: ['machineAction'], operation: ['cancel'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Cancel an action that has not finished yet. Returns the updated MachineAction. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const actionId = validateValue(this.getNode(), 'machineActionId', this.getNodeParameter('actionId', i), {
		parameter: 'Machine Action ID',
		itemIndex: i,
	});
	const comment = requireText(this, i, 'comment', 'Comment', 'Microsoft requires a comment when cancelling an action.').trim();
	const action = await mdeRequest.call(this, {
		method: 'POST',
		path: `/api/machineactions/${encodeURIComponent(actionId.toLowerCase())}/cancel`,
		body: { Comment: comment },
		idempotent: false,
		itemIndex: i,
		operation: OPERATIONS.machineAction.cancel,
	});
	return toItems.call(this, action, i);
}
