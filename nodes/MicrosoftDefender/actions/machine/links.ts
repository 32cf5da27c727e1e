import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { mimeTypeOf } from '../../helpers/liveResponse';
import { defenderApiRequestFull } from '../../transport';
import type { OperationRef } from '../../helpers/permissions';
import { mdeRequest } from '../../transport/mde';

/** Microsoft's short-lived download links: investigation packages, live response results. */

/** `"https://…"` → `https://…` (one example wraps the link in literal quotes). */
export function stripQuotes(value: string): string {
	let text = value.trim();
	while (text.length >= 2 && ((text.startsWith('"') && text.endsWith('"')) || (text.startsWith("'") && text.endsWith("'")))) {
		text = text.slice(1, -1).trim();
	}
	return text;
}

/** The short-lived SAS link of a finished investigation package collection. */
export async function getInvestigationPackageUri(
	this: IExecuteFunctions,
	actionId: string,
	itemIndex: number,
	operation: OperationRef,
): Promise<string> {
	const response = await mdeRequest.call(this, {
		method: 'GET',
		path: `/api/machineactions/${encodeURIComponent(actionId)}/getPackageUri`,
		itemIndex,
		operation,
	});
	const value = typeof response === 'string' ? response : (response as IDataObject).value;
	if (typeof value !== 'string' || stripQuotes(value) === '') {
		throw new NodeOperationError(this.getNode(), 'Microsoft returned no download link for the investigation package', {
			itemIndex,
			description: 'The package may not be ready yet. Try Machine Action → Get later, or download it from the portal.',
		});
	}
	return stripQuotes(value);
}

/**
 * Downloads a SAS link (no bearer token) as a stream straight into n8n's binary data, so a large
 * file is not held in memory by this node (in n8n's filesystem/S3 binary modes it never is whole).
 */
export async function downloadToBinary(
	this: IExecuteFunctions,
	url: string,
	fileName: string,
	i: number,
	operation: OperationRef,
): Promise<IBinaryData> {
	const res = await defenderApiRequestFull.call(this, {
		api: 'mde',
		method: 'GET',
		path: '',
		url,
		stream: true,
		noAuth: true,
		idempotent: true,
		itemIndex: i,
		operation,
		timeoutMs: 30 * 60 * 1000,
	});
	const headers = res.headers ?? {};
	const ctKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
	const mimeType = mimeTypeOf(fileName, ctKey ? String(headers[ctKey]) : undefined);
	const body = res.body as unknown;
	const data = Buffer.isBuffer(body) ? body : (body as Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0]);
	return await this.helpers.prepareBinaryData(data, fileName, mimeType);
}
