import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

export type { MachineActionType } from '../../helpers/responseActions';
import { readNumber } from '../../helpers/validate';
import type { OperationRef } from '../../helpers/permissions';
import { mdeRequest } from '../../transport/mde';

/**
 * Machine actions after they were sent: their statuses, Wait for Completion and polling. Used by
 * the response actions, Machine Action → Get and Live Response.
 */

export const FINAL_ACTION_STATUSES = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];
export const ACTIVE_ACTION_STATUSES = ['Pending', 'InProgress'];

export function isFinalStatus(status: unknown): boolean {
	return typeof status === 'string' && FINAL_ACTION_STATUSES.includes(status);
}

export function isActiveStatus(status: unknown): boolean {
	return typeof status === 'string' && ACTIVE_ACTION_STATUSES.includes(status);
}

export interface WaitOptions {
	pollIntervalSeconds: number;
	timeoutSeconds: number;
	itemIndex: number;
	operation: OperationRef;
}

/**
 * Wait for Completion and its interval/timeout, checked before the first request: NaN, text or
 * a missing interval would otherwise poll as fast as the pacer allows, and a text timeout would
 * never end. undefined = do not wait.
 */
export function readWaitOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: OperationRef,
): WaitOptions | undefined {
	const wait = ctx.getNodeParameter('waitForCompletion', itemIndex, false) as unknown;
	if (wait !== true && wait !== 'true') return undefined;
	const node = ctx.getNode();
	return {
		pollIntervalSeconds: readNumber(node, ctx.getNodeParameter('pollInterval', itemIndex, 15), {
			parameter: 'Poll Interval (Seconds)',
			itemIndex,
			min: 1,
			max: 3600,
			unit: 'seconds',
		}),
		timeoutSeconds: readNumber(node, ctx.getNodeParameter('waitTimeout', itemIndex, 600), {
			parameter: 'Timeout (Seconds)',
			itemIndex,
			min: 1,
			max: 86400,
			unit: 'seconds',
		}),
		itemIndex,
		operation,
	};
}

export async function getMachineAction(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: OperationRef,
): Promise<IDataObject> {
	return await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}`,
		itemIndex,
		operation,
	});
}

/**
 * Polls the action until it reaches a final status (Succeeded, Failed, TimeOut, Cancelled).
 * Returns the final MachineAction. When the timeout passes first, returns the last state seen
 * with `waitTimedOut: true` — not an error: the action keeps running at Microsoft, and the
 * workflow can branch on the flag (or poll again later with Machine Action → Get).
 * Flags already on `action` (e.g. `alreadyPending`) are kept.
 */
export async function waitForMachineAction(
	this: IExecuteFunctions,
	action: IDataObject,
	options: WaitOptions,
): Promise<IDataObject> {
	const flags: IDataObject = {};
	if (action.alreadyPending !== undefined) flags.alreadyPending = action.alreadyPending;
	const actionId = action.id;
	if (typeof actionId !== 'string' || actionId === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned a machine action without an ID', {
			itemIndex: options.itemIndex,
			description: 'Cannot wait for completion; check the action in the Microsoft Defender portal.',
		});
	}
	// Callers pass values checked by readWaitOptions; the guards keep a bad value from spinning.
	const intervalMs = (Number.isFinite(options.pollIntervalSeconds) ? Math.max(1, options.pollIntervalSeconds) : 15) * 1000;
	const deadline = Date.now() + (Number.isFinite(options.timeoutSeconds) ? Math.max(0, options.timeoutSeconds) : 600) * 1000;

	let current = action;
	while (!isFinalStatus(current.status)) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) return { ...current, ...flags, waitTimedOut: true };
		await sleep(Math.min(intervalMs, remaining));
		current = await getMachineAction.call(this, actionId, options.itemIndex, options.operation);
	}
	return { ...current, ...flags };
}
