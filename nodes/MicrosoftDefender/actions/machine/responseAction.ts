import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ResponseActionOperation, ResponseActionSpec } from '../../helpers/responseActions';
import { endpointOf, RESPONSE_ACTIONS } from '../../helpers/responseActions';
import { validateValue } from '../../helpers/validate';
import { requireText, toItems } from '../common';
import { ipSeenAtOption, machineLocator, resolveMachine, waitProperties } from './common';
import { readWaitOptions, waitForMachineAction } from './machineAction';
import { submitMachineAction } from './submit';
import { OPERATIONS } from '../operations';

/**
 * The one runner of the response actions (specs in helpers/responseActions.ts): parameters,
 * input checks, submission (idempotent, see submit.ts) and Wait for Completion.
 */

const reusePendingOption: INodeProperties = {
	displayName: 'Reuse Pending Action',
	name: 'reusePendingAction',
	type: 'boolean',
	default: true,
	description:
		'Whether to check for a pending or in-progress action of the same type on the machine first and return it (flagged alreadyPending) instead of sending a duplicate request. Costs one extra API call per item and needs Machine.Read.All; without that permission the check is skipped (the output says so in pendingCheckSkipped) and the refusal by Microsoft of a duplicate still applies.',
};

/**
 * A response action's parameters: machine, comment, the spec's body inputs, Wait for Completion,
 * `afterWait` (inputs that only apply when waiting), options.
 */
export function responseActionDescription(operation: ResponseActionOperation, afterWait: INodeProperties[] = []): INodeProperties[] {
	const spec = RESPONSE_ACTIONS[operation];
	const { default: defaultComment, why } = spec.comment;
	const properties: INodeProperties[] = [
		machineLocator,
		{
			displayName: 'Comment',
			name: 'comment',
			type: 'string',
			required: true,
			default: defaultComment,
			description: `${why} Shown in the action center of the Defender portal`,
		},
		...(spec.body ?? []).map((field) => field.property),
		...waitProperties(),
		...afterWait,
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			options: [ipSeenAtOption, reusePendingOption],
		},
	];
	return updateDisplayOptions({ show: { resource: ['machine'], operation: [operation] } }, properties);
}

/** The body with Microsoft's case-sensitive keys; every input is checked before the first request. */
function readBody(this: IExecuteFunctions, spec: ResponseActionSpec, i: number, comment: string): { body: IDataObject; sha1?: string } {
	const body: IDataObject = { Comment: comment };
	let sha1: string | undefined;
	for (const field of spec.body ?? []) {
		const raw = this.getNodeParameter(field.property.name, i, field.property.default);
		if (field.check === 'sha1') {
			sha1 = validateValue(this.getNode(), 'sha1', raw, { parameter: field.property.displayName, itemIndex: i }).toLowerCase();
			body[field.key] = sha1;
		} else {
			body[field.key] = raw as string;
		}
	}
	return { body, sha1 };
}

/** Resolve the machine, submit the action (idempotently), optionally wait for its final state. */
export async function runResponseAction(
	this: IExecuteFunctions,
	i: number,
	operation: ResponseActionOperation,
): Promise<{ action: IDataObject; machineId: string; waited: boolean }> {
	const spec = RESPONSE_ACTIONS[operation];
	const op = OPERATIONS.machine[operation];
	const comment = requireText(this, i, 'comment', 'Comment', 'Microsoft requires a comment on every response action; it appears in the action center.').trim();
	const { body, sha1 } = readBody.call(this, spec, i, comment);
	const options = this.getNodeParameter('options', i, {}) as IDataObject;
	const wait = readWaitOptions(this, i, op);

	const { id: machineId } = await resolveMachine.call(this, i, op);
	let action = await submitMachineAction.call(this, {
		machineId,
		endpoint: endpointOf(spec),
		type: spec.type,
		body,
		itemIndex: i,
		operation: op,
		reusePending: options.reusePendingAction !== false,
		sha1,
	});
	if (wait) action = await waitForMachineAction.call(this, action, wait);
	return { action, machineId, waited: wait !== undefined };
}

/** An operation module (description + execute) for a response action that returns the MachineAction. */
export function responseOperation(operation: ResponseActionOperation): {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, i: number) => Promise<INodeExecutionData[]>;
} {
	return {
		description: responseActionDescription(operation),
		/** Returns the MachineAction (its final state when waiting). */
		async execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
			const { action } = await runResponseAction.call(this, i, operation);
			return toItems.call(this, action, i);
		},
	};
}
