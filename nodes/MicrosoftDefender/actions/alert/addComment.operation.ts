import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep, updateDisplayOptions } from 'n8n-workflow';

import { isUncertainOutcome, isUnknownOutcome, responseActionTuning } from '../../helpers/outcome';
import { commentTextParameter } from '../../descriptions/common';
import { defenderApiRequest, wasNotSent } from '../../transport';
import { readApi, requireText, toItems } from '../common';
import { alertLocator, readAlertId } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	alertLocator('The alert to comment on'),
	commentTextParameter('e.g. Triaged by n8n: host isolated'),
];

const displayOptions = { show: { resource: ['alert'], operation: ['addComment'] } };

export const description = updateDisplayOptions(displayOptions, properties);

function commentsOf(response: unknown): IDataObject[] {
	if (Array.isArray(response)) return response as IDataObject[];
	if (response && typeof response === 'object') {
		const body = response as IDataObject;
		if (Array.isArray(body.value)) return body.value as IDataObject[];
		if (Array.isArray(body.comments)) return body.comments as IDataObject[];
	}
	return [];
}

/** The MDE alert holds our comment, written at or after `sinceMs` (less the clock allowance). */
function hasComment(alert: IDataObject, comment: string, sinceMs: number): boolean {
	return commentsOf(alert).some((c) => {
		const at = typeof c.createdTime === 'string' ? Date.parse(c.createdTime) : NaN;
		return c.comment === comment && (Number.isNaN(at) || at >= sinceMs - responseActionTuning.clockSkewMs);
	});
}

/**
 * MDE adds a comment with a PATCH, which is not idempotent: a replay stores the comment twice.
 * It is sent with `idempotent: false` (never replayed by the transport). When its outcome is
 * unknown (no readable answer, or a 5xx), the alert is read back: our comment there → success
 * (flagged `recoveredAfterError`); not there after a 500/502/503 → sent once more; otherwise the
 * item fails saying the comment may have been stored.
 */
async function addMdeComment(this: IExecuteFunctions, i: number, id: string, comment: string): Promise<{ response: unknown; recovered: boolean }> {
	const operation = OPERATIONS.alert.addComment;
	const startedMs = Date.now();
	for (let attempt = 0; ; attempt++) {
		try {
			const response = await defenderApiRequest.call(this, {
				api: 'mde',
				method: 'PATCH',
				path: `/api/alerts/${encodeURIComponent(id)}`,
				body: { comment },
				idempotent: false,
				itemIndex: i,
				operation,
			});
			return { response, recovered: false };
		} catch (error) {
			if (error instanceof NodeOperationError) throw new NodeOperationError(this.getNode(), error, { itemIndex: i });
			if (!(error instanceof NodeApiError) || !isUncertainOutcome(error) || wasNotSent(error)) {
				throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: i });
			}
			const lookups = isUnknownOutcome(error) ? responseActionTuning.verifyLookups : 1;
			let failed = 0;
			let lastLookupError = '';
			for (let n = 0; n < lookups; n++) {
				if (n > 0) await sleep(responseActionTuning.verifyIntervalMs);
				try {
					const alert = (await defenderApiRequest.call(this, {
						api: 'mde',
						method: 'GET',
						path: `/api/alerts/${encodeURIComponent(id)}`,
						itemIndex: i,
						operation,
					})) as IDataObject;
					if (hasComment(alert, comment, startedMs)) return { response: alert, recovered: true };
				} catch (lookupError) {
					failed++;
					lastLookupError = String((lookupError as Error)?.message ?? lookupError);
				}
			}
			if (!isUnknownOutcome(error) && failed === 0 && attempt === 0) continue;
			const message = `Adding the comment to alert ${id} failed without a readable answer (${error.message}); the comment may have been stored, so it was not sent again`;
			const description = `${
				failed === lookups
					? `Reading the alert back failed as well (${lastLookupError}).`
					: `The alert was read back ${lookups} times without the comment${failed ? ` (${failed} reads failed: ${lastLookupError})` : ''}.`
			} Check the alert's comments (Alert → Get, or the Defender portal) before running this item again.`;
			throw new NodeApiError(this.getNode(), { message, description } as JsonObject, {
				message,
				description,
				itemIndex: i,
				...(error.httpCode ? { httpCode: error.httpCode } : {}),
			});
		}
	}
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = readApi(this, i);
	const id = readAlertId(this, i);
	const comment = requireText(this, i, 'comment', 'Comment', 'Enter the text of the comment.');
	const operation = OPERATIONS.alert.addComment;

	if (api === 'mde') {
		// MDE: a PATCH with `comment` answers with the alert (its `comments` include the new one).
		const { response, recovered } = await addMdeComment.call(this, i, id, comment);
		return toItems.call(this, { alertId: id, comment, comments: commentsOf(response), ...(recovered && { recoveredAfterError: true }) }, i);
	}
	// Graph: POST …/comments answers with the alert's comment list (a POST is never replayed).
	const response = await defenderApiRequest.call(this, {
		api: 'graph',
		method: 'POST',
		path: `/v1.0/security/alerts_v2/${encodeURIComponent(id)}/comments`,
		body: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
		itemIndex: i,
		operation,
	});
	return toItems.call(this, { alertId: id, comment, comments: commentsOf(response) }, i);
}
