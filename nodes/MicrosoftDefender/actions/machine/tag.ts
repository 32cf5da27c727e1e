import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { parameterError } from '../../helpers/validate';
import { mdeRequest } from '../../transport/mde';
import { toItems } from '../common';
import { ipOptions, machineLocator, resolveMachine } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	machineLocator,
	{
		displayName: 'Tag',
		name: 'tag',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. quarantine-2026-11',
	},
	ipOptions,
];

/** Add Tag and Remove Tag differ only in the Action they send. */
export function tagDescription(operation: 'addTag' | 'removeTag'): INodeProperties[] {
	return updateDisplayOptions({ show: { resource: ['machine'], operation: [operation] } }, properties);
}

/** Adds or removes a tag on a machine. Returns the updated machine. */
export async function executeTag(
	this: IExecuteFunctions,
	i: number,
	action: 'Add' | 'Remove',
): Promise<INodeExecutionData[]> {
	const operation = action === 'Add' ? OPERATIONS.machine.addTag : OPERATIONS.machine.removeTag;
	const tag = String(this.getNodeParameter('tag', i, '')).trim();
	if (tag === '' || tag.length > 200) {
		throw parameterError(this.getNode(), 'Tag', i, 'must be 1 to 200 characters', 'Enter the tag text, e.g. quarantine-2026-11.');
	}
	const { id } = await resolveMachine.call(this, i, operation);
	const machine = await mdeRequest.call(this, {
		method: 'POST',
		path: `/api/machines/${encodeURIComponent(id)}/tags`,
		body: { Value: tag, Action: action },
		// Adding or removing the same tag twice has the same effect: safe to retry.
		idempotent: true,
		itemIndex: i,
		operation,
	});
	return toItems.call(this, machine as IDataObject, i);
}
