import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { LIVE_RESPONSE_LIMITS, type LiveCommand } from '../../helpers/liveResponse';
import { isActionAlreadyPendingError, isUncertainOutcome } from '../../helpers/outcome';
import { defenderApiRequestFull } from '../../transport';
import { mdeRequest } from '../../transport/mde';
import { stripQuotes } from '../machine/links';
import { waitForMachineAction } from '../machine/machineAction';
import type { OperationRef } from '../../helpers/permissions';
import { findPendingAction } from '../machine/submit';

/** A live response session: start it, wait for it, fetch its results (Learn pages in helpers/liveResponse.ts). */

/**
 * Sends runliveresponse once. Unlike the other response actions, an existing session on the machine
 * is never reused (it runs someone else's commands): it is reported as an error naming it. After an
 * answer that leaves the outcome open (5xx, reset), the action is looked up by our comment instead
 * of sending again, so a retry can never start a second session.
 */
export async function startLiveResponse(
	this: IExecuteFunctions,
	machineId: string,
	comment: string,
	commands: LiveCommand[],
	i: number,
	operation: OperationRef,
): Promise<IDataObject> {
	const lookup = { machineId, type: 'LiveResponse' as const, itemIndex: i, operation };
	let action: IDataObject;
	try {
		action = await mdeRequest.call(this, {
			method: 'POST',
			path: `/api/machines/${encodeURIComponent(machineId)}/runliveresponse`,
			body: { Comment: comment, Commands: commands as unknown as IDataObject[] },
			idempotent: false,
			itemIndex: i,
			operation,
		});
	} catch (error) {
		if (error instanceof NodeOperationError) throw new NodeOperationError(this.getNode(), error, { itemIndex: i });
		if (isActionAlreadyPendingError(error)) {
			const running = await findPendingAction.call(this, lookup).catch(() => undefined);
			const which = running?.id ? ` (machine action ${String(running.id)}, requested by ${String(running.requestor ?? 'unknown')})` : '';
			throw new NodeOperationError(this.getNode(), `A live response session is already running on this machine${which}`, {
				itemIndex: i,
				description:
					'Defender runs one live response session per machine at a time. Wait until it finishes (Machine Action → Get), or cancel it (Machine Action → Cancel), then run this item again.',
			});
		}
		if ((error as { httpCode?: unknown }).httpCode === '429') {
			const e = error as NodeApiError;
			e.description = `Live Response limits: ${LIVE_RESPONSE_LIMITS.callsPerMinute} runliveresponse calls per minute and ${LIVE_RESPONSE_LIMITS.concurrentSessions} concurrently running sessions per tenant (Microsoft answers 429 to both). Let running sessions finish or spread the items out (n8n's Loop Over Items with a Wait node), then retry. ${e.description ?? ''}`.trim();
			throw e;
		}
		if (isUncertainOutcome(error)) {
			const found = await findPendingAction.call(this, lookup).catch(() => undefined);
			if (found && found.requestorComment === comment) return { ...found, recoveredAfterError: true };
			throw new NodeOperationError(this.getNode(), 'The live response request may or may not have reached Microsoft, so it was not repeated', {
				itemIndex: i,
				description:
					'Check Machine Action → Get Many (type LiveResponse) for this machine before running the item again, so no second session is started.',
			});
		}
		throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: i });
	}
	if (typeof action.id !== 'string' || action.id === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft accepted the live response request but returned no machine action', {
			itemIndex: i,
			description: 'Check Machine Action → Get Many (type LiveResponse) for this machine before running the item again.',
		});
	}
	return action;
}

/** Waits for the session like any machine action; a still-queued session gets a hint. */
export async function waitForLiveResponse(this: IExecuteFunctions, action: IDataObject, i: number, operation: OperationRef): Promise<IDataObject> {
	const done = await waitForMachineAction.call(this, action, {
		pollIntervalSeconds: this.getNodeParameter('pollInterval', i, 15) as number,
		timeoutSeconds: this.getNodeParameter('waitTimeout', i, 900) as number,
		itemIndex: i,
		operation,
	});
	if (done.waitTimedOut && done.status === 'Pending') {
		done.hint =
			'The session is still queued: the machine has not picked it up (it may be offline; Defender keeps it queued for up to three days). Poll it later with Machine Action → Get.';
	}
	return done;
}

/** The short-lived (30 minutes) link to one command's result. */
export async function getResultLink(this: IExecuteFunctions, actionId: string, index: number, i: number, operation: OperationRef): Promise<string> {
	const response = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}/GetLiveResponseResultDownloadLink(index=${index})`,
		itemIndex: i,
		operation,
	});
	const value = (response as IDataObject).value;
	if (typeof value !== 'string' || stripQuotes(value) === '') {
		throw new NodeOperationError(this.getNode(), `Microsoft returned no download link for command ${index + 1}`, { itemIndex: i });
	}
	return stripQuotes(value);
}

/** A RunScript transcript: small JSON, read whole. */
export async function downloadTranscript(this: IExecuteFunctions, url: string, i: number, operation: OperationRef): Promise<IDataObject> {
	const res = await defenderApiRequestFull.call(this, { api: 'mde', method: 'GET', path: '', url, binary: true, noAuth: true, itemIndex: i, operation });
	const text = (res.body as unknown as Buffer).toString('utf8');
	try {
		const parsed = JSON.parse(text) as IDataObject;
		return {
			scriptName: parsed.script_name,
			exitCode: parsed.exit_code,
			scriptOutput: parsed.script_output,
			scriptErrors: parsed.script_errors,
		};
	} catch {
		// Not JSON (the format is Microsoft's to change): hand the text over unparsed.
		return { scriptOutput: text };
	}
}
